// One JSON file in the agent's state dir. Written whole or not at all: a crash mid-write leaves the
// previous content. Read back only if it still has the shape of its schema; anything else is a
// problem to report, never a value to trust.
import fs from 'node:fs';
import path from 'node:path';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

export class StateFile<S extends TSchema> {
  readonly path: string;
  private readonly check: TypeCheck<S>;

  /** `what` names the content in a problem: "… is not <what>; ignored". */
  constructor(
    stateDir: string,
    name: string,
    schema: S,
    private readonly what: string,
  ) {
    this.path = path.join(stateDir, name);
    this.check = TypeCompiler.Compile(schema);
  }

  /** The content, or null when there is none (no file) or it is not what was written (`problem`). */
  read(): { value: Static<S> | null; problem: string | null } {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch {
      return { value: null, problem: null };
    }
    try {
      const value: unknown = JSON.parse(text);
      if (this.check.Check(value)) return { value, problem: null };
    } catch {
      // Falls through to the problem below.
    }
    return { value: null, problem: `${this.path} is not ${this.what}; ignored` };
  }

  write(value: Static<S>): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(value), { mode: 0o600 });
    fs.renameSync(temporary, this.path);
  }

  remove(): void {
    fs.rmSync(this.path, { force: true });
  }
}
