// A component that renders again only when one of its props changed (by identity). The same idea as
// preact/compat's memo, without pulling the compat layer into the bundle.
import { Component, h, type FunctionComponent } from 'preact';

export function memo<P extends object>(view: FunctionComponent<P>): new (props: P) => Component<P> {
  return class Memoized extends Component<P> {
    override shouldComponentUpdate(next: Readonly<P>): boolean {
      return !shallowEqual(this.props, next);
    }

    override render(props: P) {
      return h(view, props);
    }
  };
}

function shallowEqual(a: object, b: object): boolean {
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
