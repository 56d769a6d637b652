// Editing a list of names (tags, notification classes) by adding and removing, in a stable order.

/** `current` without `remove`, then the new ones of `add`, each once. */
export function edited(current: string[], add: string[], remove: string[]): string[] {
  const drop = new Set(remove);
  const result: string[] = [];
  for (const x of [...current, ...add]) if (!drop.has(x) && !result.includes(x)) result.push(x);
  return result;
}

/** A comma-separated answer as names: trimmed, without empty ones. */
export const commaNames = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);
