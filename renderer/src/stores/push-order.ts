/**
 * A store loads a list when the push channel comes up and applies each push as it arrives. A push sent
 * after the list was taken can arrive before the list's reply: the reply is then older than that push
 * and must not overwrite it (a bot turned errored, an alert resolved in that gap would stay shown as
 * they were, since no push follows something that has stopped changing).
 */
export interface PushOrder {
  /** Note a push for this item. */
  pushed(id: string): void;
  /** Call when asking for the list; the answer tells, once the reply is in, what was pushed since. */
  ask(): ListAsked;
}

export interface ListAsked {
  /** Whether a push for this item arrived after the list was asked for. */
  newer(id: string): boolean;
  /** Whether any push arrived after the list was asked for. */
  any(): boolean;
}

export function createPushOrder(): PushOrder {
  let count = 0;
  const at = new Map<string, number>();
  return {
    pushed(id) {
      at.set(id, count++);
    },
    ask() {
      const asked = count;
      return { newer: (id) => (at.get(id) ?? -1) >= asked, any: () => count > asked };
    },
  };
}

/**
 * The list's items in its order, except those pushed since it was asked for: for them, what the pushes
 * left in `current` (dropped when a push removed the item); items pushed since and missing from the list
 * come after it.
 */
export function mergeArray<T>(
  list: readonly T[],
  idOf: (item: T) => string,
  current: readonly T[],
  asked: ListAsked,
): T[] {
  const pushed = new Map<string, T>();
  for (const item of current) if (asked.newer(idOf(item))) pushed.set(idOf(item), item);
  const out: T[] = [];
  const inList = new Set<string>();
  for (const item of list) {
    const id = idOf(item);
    inList.add(id);
    if (!asked.newer(id)) out.push(item);
    else {
      const now = pushed.get(id);
      if (now !== undefined) out.push(now);
    }
  }
  for (const [id, item] of pushed) if (!inList.has(id)) out.push(item);
  return out;
}

/** mergeArray for a store that keeps its items by id. */
export function mergeList<T>(
  list: readonly T[],
  idOf: (item: T) => string,
  current: Readonly<Record<string, T>>,
  asked: ListAsked,
): Record<string, T> {
  const merged = mergeArray(list, idOf, Object.values(current), asked);
  return Object.fromEntries(merged.map((item) => [idOf(item), item]));
}
