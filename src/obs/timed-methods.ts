/**
 * An object whose methods report how long each call took (the store's latency in /metrics), without the object
 * knowing: a Proxy that times every method call, to the settling of its promise when it returns one.
 */

/** `seconds` from the call to its return, or to the settling of the promise it returned; `ok` false if it threw or rejected. */
export type ObserveCall = (method: string, seconds: number, ok: boolean) => void;

export function timeMethods<T extends object>(target: T, observe: ObserveCall): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]): unknown => timed(property, () => method.apply(object, args), observe);
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function timed(method: string, call: () => unknown, observe: ObserveCall): unknown {
  const startNs = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - startNs) / 1e9;
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    observe(method, seconds(), false);
    throw error;
  }
  if (result instanceof Promise)
    return result.then(
      (value: unknown) => {
        observe(method, seconds(), true);
        return value;
      },
      (error: unknown) => {
        observe(method, seconds(), false);
        throw error;
      },
    );
  observe(method, seconds(), true);
  return result;
}
