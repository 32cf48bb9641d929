// A rollout's own list of steps, in order: each a command (any but stop), moved up or removed; new
// steps are added at the end. Each change is an edit of the list as it is when it applies, so two
// clicks within one task both count.
import type { CommandName } from '../../../protocol/constants.js';
import { MAX_STEPS, STEP_COMMANDS } from '../../state/rollout-plan.js';

/** What "Add step" adds: the step most lists end with. */
const ADDED_STEP: CommandName = 'test';

type StepsEdit = (steps: readonly CommandName[]) => CommandName[];

export function StepsEditor({ steps, onEdit }: { steps: readonly CommandName[]; onEdit(edit: StepsEdit): void }) {
  const replace = (index: number, command: CommandName) => onEdit((current) => current.map((step, i) => (i === index ? command : step)));
  const remove = (index: number) => onEdit((current) => current.filter((_, i) => i !== index));
  const moveUp = (index: number) =>
    onEdit((current) => {
      const next = [...current];
      const [step] = next.splice(index, 1);
      if (step !== undefined) next.splice(index - 1, 0, step);
      return next;
    });
  const add = () => onEdit((current) => (current.length >= MAX_STEPS ? [...current] : [...current, ADDED_STEP]));
  return (
    <div class="steps-editor">
      <ol>
        {steps.map((step, index) => (
          <li key={index}>
            <select aria-label={`Step ${index + 1}`} value={step} onChange={(event) => replace(index, event.currentTarget.value as CommandName)}>
              {STEP_COMMANDS.map((command) => (
                <option key={command} value={command}>
                  {command}
                </option>
              ))}
            </select>
            <button type="button" class="quiet" aria-label={`Move step ${index + 1} up`} disabled={index === 0} onClick={() => moveUp(index)}>
              ↑
            </button>
            <button type="button" class="quiet" aria-label={`Remove step ${index + 1}`} onClick={() => remove(index)}>
              ×
            </button>
          </li>
        ))}
      </ol>
      <button type="button" disabled={steps.length >= MAX_STEPS} onClick={add}>
        Add step
      </button>
    </div>
  );
}
