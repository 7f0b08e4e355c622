/**
 * One text form for a process's command line on every platform: Windows' own. Windows hands us the
 * command line as one string whose argument boundaries are quotes (CommandLineToArgvW rules); Linux
 * hands us the argv array, which is joined here with the same quoting, so that a path with a space
 * (`--user-data-dir=/srv/bot folder/profile`) stays one argument and the same splitter reads both.
 */

const NEEDS_QUOTES = /[ \t\n\v"]/;

/**
 * Quotes one argument so that CommandLineToArgvW gives it back unchanged: wrapped in double quotes when
 * it is empty or holds white space or a quote; inside, a quote is written \" and the backslashes right
 * before a quote (or before the closing quote) are doubled. Other backslashes stay as they are, so
 * Windows paths read naturally.
 */
export function quoteArg(arg: string): string {
  if (arg !== '' && !NEEDS_QUOTES.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    if (ch === '"') out += `${'\\'.repeat(backslashes * 2 + 1)}"`;
    else out += `${'\\'.repeat(backslashes)}${ch}`;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** An argv array as one command line, each argument quoted as Windows would need it. */
export function joinArgs(args: readonly string[]): string {
  return args.map(quoteArg).join(' ');
}

const isBlank = (ch: string | undefined) => ch === ' ' || ch === '\t';

/**
 * Splits a command line into its arguments with CommandLineToArgvW's rules:
 * - the program (first argument) runs to the next quote when it starts with one, else to the first
 *   space or tab; backslashes are not special in it (a Windows path may end in one);
 * - after it, spaces and tabs outside quotes separate arguments; a quote starts or ends a quoted part
 *   (`--user-data-dir="C:\a b\p"` is one argument); inside a quoted part, `""` is a literal quote;
 * - 2n backslashes before a quote are n backslashes and the quote counts as above; 2n+1 backslashes
 *   before a quote are n backslashes and a literal quote; backslashes before anything else are literal.
 */
export function splitCommandLine(cmdline: string): string[] {
  const first = readProgram(cmdline);
  if (!first) return [];
  const args = [first.program];
  const n = cmdline.length;
  let i = first.end;
  for (;;) {
    while (i < n && isBlank(cmdline[i])) i++;
    if (i >= n) return args;
    let arg = '';
    let quoted = false;
    while (i < n && (quoted || !isBlank(cmdline[i]))) {
      const ch = cmdline[i]!;
      if (ch === '\\') {
        let count = 0;
        while (cmdline[i] === '\\') {
          count++;
          i++;
        }
        if (cmdline[i] === '"') {
          arg += '\\'.repeat(Math.floor(count / 2));
          if (count % 2 === 1) {
            arg += '"';
            i++;
          }
        } else arg += '\\'.repeat(count);
        continue;
      }
      if (ch === '"') {
        if (quoted && cmdline[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      arg += ch;
      i++;
    }
    args.push(arg);
  }
}

/** The program of a command line (its first argument), without reading the rest. */
export function programOf(cmdline: string): string {
  return readProgram(cmdline)?.program ?? '';
}

function readProgram(cmdline: string): { program: string; end: number } | undefined {
  const n = cmdline.length;
  let i = 0;
  while (i < n && isBlank(cmdline[i])) i++;
  if (i >= n) return undefined;
  let program = '';
  if (cmdline[i] === '"') {
    const end = cmdline.indexOf('"', i + 1);
    program = end < 0 ? cmdline.slice(i + 1) : cmdline.slice(i + 1, end);
    i = end < 0 ? n : end + 1;
  }
  while (i < n && !isBlank(cmdline[i])) program += cmdline[i++];
  return { program, end: i };
}
