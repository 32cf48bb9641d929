// What every host should run, at the top of the page: the head of the fleet repository's branch
// (short hash, subject, branch, how old, live), and, in red, why the last read failed. Without a
// fleet repository configured it says so discreetly: hosts are then not compared with anything.
// (`checked_at` is not shown: the dashboard publishes the desired state when it changes, not on
// every poll, so a "checked … ago" here would grow stale.)
import type { DesiredState } from '../../protocol/model.js';
import { useNow } from './clock.js';
import { shortCommit, timeAgo } from './format.js';
import { useApp, useObservable } from './hooks.js';

const SOURCE_NAMES: Record<Exclude<DesiredState['source'], 'none'>, string> = {
  git: 'the fleet repository',
  version_url: 'the version URL',
};

export function DesiredBanner() {
  const { fleet } = useApp();
  useObservable(fleet);
  const desired = fleet.desired;
  if (!desired) return null;
  if (desired.source === 'none') {
    return (
      <section class="desired desired-none" aria-label="Desired state" data-source="none">
        <p class="muted">
          No fleet repository is set (<code>NIXFLEET_REPO_URL</code>): hosts are not compared with a desired commit.
        </p>
      </section>
    );
  }
  return <DesiredHead desired={desired} source={desired.source} />;
}

function DesiredHead({ desired, source }: { desired: DesiredState; source: Exclude<DesiredState['source'], 'none'> }) {
  const now = useNow();
  return (
    <section class="desired" aria-label="Desired state" data-source={source} data-commit={desired.commit}>
      <div class="desired-line">
        <span class="desired-label">Desired</span>
        {desired.commit ? (
          <>
            <code class="desired-commit" title={desired.commit}>
              {shortCommit(desired.commit)}
            </code>
            {desired.subject && <span class="desired-subject">{desired.subject}</span>}
            <span class="desired-branch">
              on <code>{desired.branch}</code>
            </span>
            {desired.committed_at && (
              <time class="desired-age" dateTime={desired.committed_at} title={new Date(desired.committed_at).toLocaleString()}>
                committed {timeAgo(desired.committed_at, now)}
              </time>
            )}
          </>
        ) : (
          !desired.error && <span class="muted">reading {desired.branch} from {SOURCE_NAMES[source]}…</span>
        )}
      </div>
      {desired.error && (
        <p class="desired-error" role="alert">
          <strong>Could not read {SOURCE_NAMES[source]}:</strong> <span class="desired-reason">{desired.error}</span>
        </p>
      )}
    </section>
  );
}
