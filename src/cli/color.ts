/**
 * Colour, decided per output stream as Node decides it: FORCE_COLOR forces
 * it (FORCE_COLOR=0 or false turns it off), else NO_COLOR (any non-empty
 * value) or TERM=dumb turns it off, else a TTY gets colour and a pipe or file
 * none. `--no-color` overrides everything.
 */

export interface Palette {
  enabled: boolean;
  bold: (s: string) => string;
  dim: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
  green: (s: string) => string;
  cyan: (s: string) => string;
}

export function useColor(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

export function palette(enabled: boolean): Palette {
  return enabled
    ? {
        enabled,
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        red: sgr(31, 39),
        yellow: sgr(33, 39),
        green: sgr(32, 39),
        cyan: sgr(36, 39),
      }
    : { enabled, bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
}

export const NO_COLOR: Palette = palette(false);
