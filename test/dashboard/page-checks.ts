import type { Page } from 'playwright-core';

/** WCAG 2.x AA contrast for body text; large text (≥ 24 px, or ≥ 18.66 px bold) needs 3. */
export const MIN_CONTRAST = 4.5;
export const MIN_CONTRAST_LARGE = 3;

export interface TextProblem {
  text: string;
  /** What is wrong: the contrast ratio found, or the text as shown. */
  found: string;
  selector: string;
}

/**
 * Visible text whose letters CSS changed the case of (text-transform): "at 1 mW assumed" shown as "AT 1 MW ASSUMED"
 * turns milliwatts into megawatts. Compares each leaf element's rendered text (innerText) with its content.
 */
export async function caseChangedText(page: Page): Promise<TextProblem[]> {
  return page.evaluate(() => {
    const problems: { text: string; found: string; selector: string }[] = [];
    const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
    for (const el of Array.from(document.body.querySelectorAll<HTMLElement>('*'))) {
      if (el.children.length > 0 || el.closest('script, style, svg') !== null) continue;
      const content = squash(el.textContent ?? '');
      const shown = squash(el.innerText ?? '');
      if (content === '' || shown === '' || shown === content) continue;
      if (shown.toLowerCase() === content.toLowerCase()) problems.push({ text: content, found: shown, selector: el.className || el.tagName });
    }
    return problems;
  });
}

/**
 * Visible text below the WCAG AA contrast against what is behind it (backgrounds composited up the tree, alpha
 * included). Segments of the stacked bar carry their own label colour on data colours and are left to their view.
 */
export async function lowContrastText(page: Page, skip = '.seg'): Promise<TextProblem[]> {
  return page.evaluate(
    ({ skip, minContrast, minLarge }) => {
      type Rgba = [number, number, number, number];
      const parse = (css: string): Rgba => {
        const m = /rgba?\(([^)]+)\)/.exec(css);
        if (m === null || m[1] === undefined) return [0, 0, 0, 0];
        const parts = m[1]
          .split(/[,\s/]+/)
          .filter(Boolean)
          .map(Number);
        return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
      };
      const over = (top: Rgba, bottom: Rgba): Rgba => {
        const a = top[3] + bottom[3] * (1 - top[3]);
        if (a === 0) return [0, 0, 0, 0];
        const mix = (i: number): number => (top[i]! * top[3] + bottom[i]! * bottom[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
      };
      const background = (el: Element): Rgba => {
        const layers: Rgba[] = [];
        for (let node: Element | null = el; node !== null; node = node.parentElement) {
          const layer = parse(getComputedStyle(node).backgroundColor);
          if (layer[3] > 0) layers.push(layer);
          if (layer[3] >= 1) break;
        }
        let result: Rgba = [255, 255, 255, 1]; // the canvas behind everything
        for (const layer of layers.reverse()) result = over(layer, result);
        return result;
      };
      const luminance = ([r, g, b]: Rgba): number => {
        const channel = (v: number): number => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
      };
      const problems: { text: string; found: string; selector: string }[] = [];
      for (const el of Array.from(document.body.querySelectorAll<HTMLElement>('*'))) {
        const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
        if (!own || el.closest(skip) !== null || el.closest('.skip, .sr-only, option, optgroup') !== null) continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || el.checkVisibility?.({ opacityProperty: true, visibilityProperty: true }) === false) continue;
        const style = getComputedStyle(el);
        const fg = over(parse(style.color), background(el));
        const bg = background(el);
        const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a) as [number, number];
        const ratio = (l1 + 0.05) / (l2 + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? minLarge : minContrast)) {
          problems.push({ text: (el.textContent ?? '').trim().slice(0, 40), found: ratio.toFixed(2), selector: `${el.tagName.toLowerCase()}.${el.className}` });
        }
      }
      return problems;
    },
    { skip, minContrast: MIN_CONTRAST, minLarge: MIN_CONTRAST_LARGE },
  );
}

/** The page's own background luminance (0 black … 1 white): tells a dark scheme from a light one. */
export async function pageLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const m = /rgba?\(([^)]+)\)/.exec(getComputedStyle(document.documentElement).backgroundColor);
    const [r, g, b] = (m?.[1] ?? '255,255,255').split(/[,\s/]+/).map(Number) as [number, number, number];
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });
}
