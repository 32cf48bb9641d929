// The hosts × steps grid: a cell per step in its state's colour (and mark), the canaries marked, a
// rollback column once any host got one, and how each host ended. A cell whose step has a command
// opens that command's output in a tab, like the fleet table's command cell.
import type { Rollout, RolloutStep } from '../../../protocol/rollout.js';
import { hasRollbacks } from '../../state/rollout-progress.js';
import { STEP_LABELS, STEP_MARKS } from './labels.js';

export function RolloutGrid({ rollout, onOpen }: { rollout: Rollout; onOpen(commandId: string): void }) {
  const rollbacks = hasRollbacks(rollout);
  return (
    <div class="table-scroll">
      <table class="rollout-grid">
        <thead>
          <tr>
            <th scope="col">Host</th>
            {rollout.steps.map((step, index) => (
              <th key={index} scope="col">
                {index + 1}. {step}
              </th>
            ))}
            {rollbacks && <th scope="col">Rollback</th>}
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {rollout.hosts.map((host) => (
            <tr key={host.host_id} data-host={host.host_id} data-state={host.state} class={host.canary ? 'canary' : undefined}>
              <th scope="row">
                {host.host_id}
                {host.canary && <span class="badge canary-mark">canary</span>}
              </th>
              {host.steps.map((step, index) => (
                <td key={index}>
                  <StepCell step={step} index={index} hostId={host.host_id} onOpen={onOpen} />
                </td>
              ))}
              {rollbacks && <td>{host.rollback ? <StepCell step={host.rollback} index={null} hostId={host.host_id} onOpen={onOpen} /> : <span class="muted">—</span>}</td>}
              <td>
                <span class={`step-state step-${host.state}`}>{STEP_LABELS[host.state]}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface StepCellProps {
  step: RolloutStep;
  /** The step's place in the list; null for the rollback. */
  index: number | null;
  hostId: string;
  onOpen(commandId: string): void;
}

function StepCell({ step, index, hostId, onOpen }: StepCellProps) {
  const words = `${step.command} on ${hostId}: ${STEP_LABELS[step.state]}${step.message ? ` (${step.message})` : ''}`;
  const content = (
    <>
      <span class="mark" aria-hidden="true">
        {STEP_MARKS[step.state]}
      </span>{' '}
      {STEP_LABELS[step.state]}
    </>
  );
  const { command_id: commandId } = step;
  if (commandId === null) {
    return (
      <span class={`step step-${step.state}`} data-step={step.command} data-index={index ?? undefined} data-state={step.state} title={words}>
        {content}
      </span>
    );
  }
  return (
    <button
      type="button"
      class={`step step-${step.state}`}
      data-step={step.command}
      data-index={index ?? undefined}
      data-state={step.state}
      data-command={commandId}
      title={`${words}. Show the output`}
      aria-label={words}
      onClick={() => onOpen(commandId)}
    >
      {content}
    </button>
  );
}
