// "Rollout…": which hosts (the selection, a tag, every host behind), which steps (a preset or a
// custom list), and how (canaries, batch size, failures tolerated, rollback, offline hosts), said in
// words before it starts. A choice the dashboard would refuse is named here first; what it refuses
// anyway (a host taken by another rollout) is said in the dialog too.
import { useState } from 'preact/hooks';
import { fleetTags } from '../../state/host-tags.js';
import { createRolloutBody, fieldsProblem, initialFields, plural, targetHosts, type RolloutFields } from '../../state/rollout-plan.js';
import type { RolloutDialog as RolloutDialogState } from '../../state/rollout-runner.js';
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';
import { PlanPreview, StepsChoice, StrategyChoice, TargetChoice, type FormEdit, type TypedNumbers } from './rollout-choices.js';

export function RolloutDialog() {
  const { rolloutRunner } = useApp();
  useObservable(rolloutRunner.dialog);
  const dialog = rolloutRunner.dialog.value;
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal rollout-form" aria-labelledby="rollout-title" onClose={() => rolloutRunner.dismiss()}>
      {/* Mounted only while open, so every opening starts from the target it was opened with. */}
      {dialog && <RolloutForm dialog={dialog} />}
    </dialog>
  );
}

/** The dialog's choices, the numbers as typed: an empty or half-typed field is not a number yet, and is said to be wrong. */
type Choice = Omit<RolloutFields, keyof TypedNumbers> & { typed: TypedNumbers };

const asNumber = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

function initialChoice(dialog: RolloutDialogState): Choice {
  const { canary, batchSize, maxFailures, ...rest } = initialFields(dialog.target);
  return { ...rest, typed: { canary: String(canary), batchSize: String(batchSize), maxFailures: String(maxFailures) } };
}

function fieldsOf({ typed, ...chosen }: Choice): RolloutFields {
  return { ...chosen, canary: asNumber(typed.canary), batchSize: asNumber(typed.batchSize), maxFailures: asNumber(typed.maxFailures) };
}

function RolloutForm({ dialog }: { dialog: RolloutDialogState }) {
  const { rolloutRunner, fleet } = useApp();
  // How many hosts a tag or "behind" names follows the fleet while the dialog is open.
  useObservable(fleet);
  const [choice, setChoice] = useState(() => initialChoice(dialog));
  // Applied to the choice as it is by then: changes made within one task (a script filling the form)
  // are drawn together, and each must build on the one before, not on what was last drawn.
  const set = (edit: FormEdit) =>
    setChoice((previous) => {
      const change = typeof edit === 'function' ? edit(previous) : edit;
      return { ...previous, ...change, typed: { ...previous.typed, ...change.typed } };
    });

  const fields = fieldsOf(choice);
  const hostIds = targetHosts(fields.target, fleet.hosts.values());
  const problem = fieldsProblem(fields, hostIds);
  const submit = (event: Event) => {
    event.preventDefault();
    if (problem === null) void rolloutRunner.start(createRolloutBody(fields));
  };

  return (
    <form class="stacked" noValidate onSubmit={submit}>
      <h2 id="rollout-title">Start a rollout</h2>
      <TargetChoice target={fields.target} selection={dialog.selection} tags={fleetTags(fleet.hosts.values())} hostIds={hostIds} onChange={(target) => set({ target })} />
      <StepsChoice fields={fields} onChange={set} />
      <StrategyChoice fields={fields} typed={choice.typed} problem={problem} onChange={set} />
      <PlanPreview fields={fields} hostIds={hostIds} problem={problem} />
      <p class="form-error" role="alert">
        {dialog.refusal?.message}
      </p>
      <div class="buttons">
        <button type="button" onClick={() => rolloutRunner.dismiss()}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={problem !== null || dialog.sending}>
          {dialog.sending ? 'Starting…' : hostIds.length > 0 ? `Start on ${plural(hostIds.length, 'host')}` : 'Start rollout'}
        </button>
      </div>
    </form>
  );
}
