// The parts of the "Rollout…" form: the target (with the hosts it names now), the steps, the
// strategy, and the plan in words. Each draws what the form holds and reports a change.
import type { OfflinePolicy, RolloutPreset } from '../../../protocol/rollout.js';
import {
  isBehind,
  planText,
  plural,
  PRESET_LABELS,
  PRESET_NAMES,
  ROLLOUT_PRESETS,
  stepsOf,
  stepsText,
  type FieldProblem,
  type RolloutFields,
  type RolloutTarget,
} from '../../state/rollout-plan.js';
import { useApp } from '../hooks.js';
import { StepsEditor } from './steps-editor.js';

/** Hosts named under the target; beyond this it says how many more. */
const HOSTS_LISTED = 12;

/** The strategy's numbers as typed in their fields. */
export interface TypedNumbers {
  canary: string;
  batchSize: string;
  maxFailures: string;
}

/** The form's choices other than the numbers as typed. */
type Chosen = Omit<RolloutFields, keyof TypedNumbers>;

/** A change of the form: any of its fields, or some of the numbers as typed. */
type FormChange = Partial<Chosen> & { typed?: Partial<TypedNumbers> };

/**
 * A change, or one made from the form as it is when the change applies: two changes within one task
 * are drawn together, and each must build on the other, not on what was last drawn.
 */
export type FormEdit = FormChange | ((current: Chosen) => FormChange);

interface TargetChoiceProps {
  target: RolloutTarget;
  selection: readonly string[];
  tags: readonly string[];
  /** The hosts the target names now. */
  hostIds: readonly string[];
  onChange(target: RolloutTarget): void;
}

export function TargetChoice({ target, selection, tags, hostIds, onChange }: TargetChoiceProps) {
  const { fleet } = useApp();
  let behind = 0;
  for (const host of fleet.hosts.values()) if (isBehind(host)) behind++;
  const tag = target.kind === 'tag' ? target.tag : (tags[0] ?? '');
  return (
    <>
      <fieldset class="choices">
        <legend>Hosts</legend>
        {selection.length > 0 && (
          <label class="inline">
            <input type="radio" name="target" checked={target.kind === 'hosts'} onChange={() => onChange({ kind: 'hosts', hostIds: selection })} />
            The {plural(selection.length, 'selected host')}
          </label>
        )}
        <span class="inline tag-choice">
          <label class="inline">
            <input type="radio" name="target" checked={target.kind === 'tag'} disabled={tags.length === 0} onChange={() => onChange({ kind: 'tag', tag })} />
            Hosts tagged
          </label>
          <select aria-label="Tag" value={tag} disabled={tags.length === 0} onChange={(event) => onChange({ kind: 'tag', tag: event.currentTarget.value })}>
            {tags.length === 0 && <option value="">no tags yet</option>}
            {/* A tag no host has any more stays offered while it is the target. */}
            {(tags.includes(tag) || tag === '' ? tags : [...tags, tag]).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </span>
        <label class="inline">
          <input type="radio" name="target" checked={target.kind === 'behind'} onChange={() => onChange({ kind: 'behind' })} />
          Every host behind the desired commit ({behind})
        </label>
      </fieldset>
      <p class="target-hosts" data-count={hostIds.length}>
        {hostIds.length === 0 ? (
          <span class="muted">No host now.</span>
        ) : (
          <>
            {hostIds.slice(0, HOSTS_LISTED).join(', ')}
            {hostIds.length > HOSTS_LISTED && ` and ${hostIds.length - HOSTS_LISTED} more`}
          </>
        )}
      </p>
    </>
  );
}

export function StepsChoice({ fields, onChange }: { fields: RolloutFields; onChange(edit: FormEdit): void }) {
  // Custom starts from the steps shown, so a preset can be adapted.
  const choose = (value: string) =>
    onChange(value === 'custom' ? (current) => ({ preset: 'custom', steps: [...stepsOf(current)] }) : { preset: value as RolloutPreset });
  return (
    <>
      <label>
        Steps
        <select name="preset" value={fields.preset} onChange={(event) => choose(event.currentTarget.value)}>
          {PRESET_NAMES.map((preset) => (
            <option key={preset} value={preset}>
              {PRESET_LABELS[preset]}: {ROLLOUT_PRESETS[preset].join(' → ')}
            </option>
          ))}
          <option value="custom">Custom steps…</option>
        </select>
      </label>
      {fields.preset === 'custom' && <StepsEditor steps={fields.steps} onEdit={(edit) => onChange((current) => ({ steps: edit(current.steps) }))} />}
    </>
  );
}

interface StrategyChoiceProps {
  fields: RolloutFields;
  typed: TypedNumbers;
  problem: FieldProblem | null;
  onChange(edit: FormEdit): void;
}

export function StrategyChoice({ fields, typed, problem, onChange }: StrategyChoiceProps) {
  const number = (key: keyof TypedNumbers) => (text: string) => onChange({ typed: { [key]: text } });
  const setOffline = (offline: OfflinePolicy) => onChange({ offline });
  return (
    <>
      <div class="strategy-fields">
        <NumberField label="Canaries" name="canary" min={0} text={typed.canary} invalid={problem?.field === 'canary'} onInput={number('canary')} />
        <NumberField label="Batch size" name="batch_size" min={1} text={typed.batchSize} invalid={problem?.field === 'batch_size'} onInput={number('batchSize')} />
        <NumberField label="Max failures" name="max_failures" min={0} text={typed.maxFailures} invalid={problem?.field === 'max_failures'} onInput={number('maxFailures')} />
      </div>
      <p class="hint">
        Canaries (the first hosts by name) go first, alone, and must all succeed. Then at most a batch of hosts runs at once. Max
        failures is how many failed hosts are tolerated: one more halts the rollout.
      </p>
      <label class="inline">
        <input type="checkbox" name="rollback" checked={fields.rollbackOnFailure} onChange={(event) => onChange({ rollbackOnFailure: event.currentTarget.checked })} />
        Roll back a host whose switch or test fails
      </label>
      <fieldset class="choices">
        <legend>A host offline at its turn</legend>
        <OfflineChoice value="skip" current={fields.offline} onChange={setOffline}>
          Skip it
        </OfflineChoice>
        <OfflineChoice value="wait" current={fields.offline} onChange={setOffline}>
          Wait for it (its commands are queued until they expire)
        </OfflineChoice>
      </fieldset>
    </>
  );
}

/** What will happen, in words, or what keeps it from starting. */
export function PlanPreview({ fields, hostIds, problem }: { fields: RolloutFields; hostIds: readonly string[]; problem: FieldProblem | null }) {
  return (
    <div class="plan" role="status">
      {problem === null ? (
        <>
          <p class="plan-strategy">{planText(fields, hostIds)}</p>
          <p class="plan-steps muted">Each host runs {stepsText(stepsOf(fields))}; a host that fails a step is skipped for the rest.</p>
        </>
      ) : (
        <p class="plan-problem" data-field={problem.field}>
          {problem.message}
        </p>
      )}
    </div>
  );
}

interface NumberFieldProps {
  label: string;
  name: string;
  min: number;
  text: string;
  invalid: boolean;
  onInput(text: string): void;
}

function NumberField({ label, name, min, text, invalid, onInput }: NumberFieldProps) {
  return (
    <label>
      {label}
      <input type="number" name={name} min={min} step={1} inputMode="numeric" required aria-invalid={invalid} value={text} onInput={(event) => onInput(event.currentTarget.value)} />
    </label>
  );
}

interface OfflineChoiceProps {
  value: OfflinePolicy;
  current: OfflinePolicy;
  onChange(value: OfflinePolicy): void;
  children: string;
}

function OfflineChoice({ value, current, onChange, children }: OfflineChoiceProps) {
  return (
    <label class="inline">
      <input type="radio" name="offline" value={value} checked={current === value} onChange={() => onChange(value)} />
      {children}
    </label>
  );
}
