/** Terminal width the CLI's output fits: the classic 80 columns (a log, a CI console, a narrow terminal). */
export const TERMINAL_COLUMNS = 80;

/**
 * Breaks `line` at spaces so every piece fits `width` columns; continuation lines are indented by `indent`. A single
 * word longer than the room is left whole (never cut inside a word).
 */
export function wrapLine(line: string, width: number = TERMINAL_COLUMNS, indent = 4): string[] {
  if ([...line].length <= width) return [line];
  const leading = /^ */.exec(line)![0];
  const words = line.slice(leading.length).split(' ');
  const out: string[] = [];
  let current = leading + words[0]!;
  for (const word of words.slice(1)) {
    const candidate = `${current} ${word}`;
    if ([...candidate].length <= width) {
      current = candidate;
    } else {
      out.push(current);
      current = ' '.repeat(indent) + word;
    }
  }
  out.push(current);
  return out;
}

/** `wrapLine` for every line of `text`, with a hanging indent chosen per line by `indentOf`. */
export function wrapText(text: string, indentOf: (line: string) => number, width: number = TERMINAL_COLUMNS): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width, indentOf(line)))
    .join('\n');
}
