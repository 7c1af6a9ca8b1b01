import type { Page } from 'playwright-core';

/** Code below this many CSS pixels on a 1280×720 screen is too small for the back of a room. */
export const MIN_CODE_PX = 16;

/**
 * What a presenter would see wrong on the slide shown in play mode, one line per problem:
 * - something of the slide lies outside the slide's frame, or is cut off by a box it sits in;
 * - a box's content spills out of it (two things drawn over each other);
 * - code, or any other text (SVG labels too), renders below MIN_CODE_PX, every transform and zoom counted;
 * - a picture is drawn much smaller than its pixels (its text would be unreadable);
 * - code text, dimmed or not, has a contrast below 4.5:1;
 * - anything outside the slide (go-to list, menus, dialogs) is visible over it;
 * - the slide did not load at all.
 * The page must have been prepared by `shimNames` (esbuild's `__name`, the shared page helpers).
 */
export async function inspectSlide(page: Page): Promise<string[]> {
  return page.evaluate((minCodePx: number) => {
    const problems: string[] = [];
    const frameEl = document.querySelector('#slide-content');
    if (!frameEl) return ['no #slide-content: not Slidev play mode'];
    const frame = frameEl.getBoundingClientRect();
    const pages = [...document.querySelectorAll<HTMLElement>('#slide-content .slidev-page')].filter((p) => getComputedStyle(p).display !== 'none');
    if (pages.length !== 1) return [`${pages.length} slides shown at once`];
    const slide = pages[0]!;
    const TOL = 1;
    // What Slidev draws when a slide's code could not be loaded or threw.
    if (/Failed to fetch this slide|An error occurred on this slide/.test(slide.textContent ?? ''))
      return ['the slide did not load (Slidev shows its error text)'];

    const describe = (el: Element): string => {
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 50);
      const cls = [...el.classList]
        .filter((c) => !c.includes(':'))
        .slice(0, 2)
        .join('.');
      return `<${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''}>${text ? ` "${text}"` : ''}`;
    };
    const rendered = (el: Element): boolean => {
      for (let e: Element | null = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.display === 'none' || cs.visibility === 'hidden') return false;
      }
      return true;
    };
    /** The element's own opacity times its ancestors': 0 means not drawn. */
    const { opacity, contrast } = (window as unknown as { __stagecraft: PageHelpers }).__stagecraft;
    /** Computed size × every zoom and transform scale on the way up: CSS pixels on screen. */
    const effectiveScale = (el: Element): number => {
      let s = 1;
      for (let e: Element | null = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        s *= Number(cs.zoom) || 1;
        const m = /^matrix\(([^,]+),\s*([^,]+),/.exec(cs.transform);
        if (m) s *= Math.hypot(Number(m[1]), Number(m[2]));
      }
      return s;
    };
    /** The frame cut down by every ancestor (inside the slide) that clips its overflow. */
    const visibleArea = (el: Element) => {
      let { left, top, right, bottom } = frame;
      let clipper: Element | undefined;
      for (let e = el.parentElement; e && e !== slide.parentElement; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
          const r = e.getBoundingClientRect();
          if (r.right - r.left < right - left || r.bottom - r.top < bottom - top) clipper ??= e;
          left = Math.max(left, r.left);
          top = Math.max(top, r.top);
          right = Math.min(right, r.right);
          bottom = Math.min(bottom, r.bottom);
        }
      }
      return { left, top, right, bottom, clipper };
    };
    const outside = (r: DOMRect, area: { left: number; top: number; right: number; bottom: number }) =>
      r.left < area.left - TOL || r.top < area.top - TOL || r.right > area.right + TOL || r.bottom > area.bottom + TOL;
    const where = (r: DOMRect) => `at ${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)}`;

    // 1. Every element and every run of text within the frame and within the boxes that clip it.
    const reported = new Set<Element>();
    const check = (el: Element, r: DOMRect, what: string) => {
      if (r.width <= 0 || r.height <= 0) return;
      for (let e: Element | null = el; e; e = e.parentElement) if (reported.has(e)) return;
      if (outside(r, frame)) {
        reported.add(el);
        problems.push(`${what} lies outside the slide frame (${where(r)}; the frame is ${where(frame)})`);
        return;
      }
      const area = visibleArea(el);
      if (area.clipper && outside(r, area)) {
        reported.add(el);
        problems.push(`${what} is cut off by ${describe(area.clipper)} (${where(r)})`);
      }
    };
    const all = [slide, ...slide.querySelectorAll('*'), ...document.querySelectorAll('#slide-content > :not(#slideshow), #slide-content > :not(#slideshow) *')];
    for (const el of all) {
      if (!rendered(el) || (el.closest('svg') && el.tagName.toLowerCase() !== 'svg')) continue;
      check(el, el.getBoundingClientRect(), describe(el));
    }
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent?.trim() || !n.parentElement || !rendered(n.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      check(n.parentElement, range.getBoundingClientRect(), `text "${n.textContent.trim().slice(0, 50)}"`);
    }

    // 2. A box whose content is taller than the box: what follows is drawn over it.
    for (const el of slide.querySelectorAll<HTMLElement>('*')) {
      const cs = getComputedStyle(el);
      if (!rendered(el) || cs.display.startsWith('inline') || cs.display === 'table-row' || el.closest('svg')) continue;
      if (cs.overflowY === 'visible' && el.clientHeight > 0 && el.scrollHeight > el.clientHeight + 2 && !reported.has(el)) {
        problems.push(`${describe(el)}: its content is ${el.scrollHeight - el.clientHeight}px taller than the box and spills over what follows`);
        reported.add(el);
      }
    }

    // 3. Code large enough to read: every text of every code element.
    const small = new Map<string, number>();
    for (const el of slide.querySelectorAll('pre, code, pre *, code *')) {
      if (!rendered(el) || ![...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim())) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * effectiveScale(el);
      const box = el.closest('pre') ?? el.closest('code') ?? el;
      const key = describe(box);
      if (px < minCodePx - 0.05 && (small.get(key) ?? Infinity) > px) small.set(key, px);
    }
    for (const [key, px] of small) problems.push(`code ${key} renders at ${px.toFixed(1)}px, below ${minCodePx}px`);

    // 3b. Every other text too — tables, captions, a chart's or a picture's labels (SVG
    // included): nothing on a slide is too small to read from the back of the room.
    const smallText = new Map<string, number>();
    for (const el of slide.querySelectorAll('*')) {
      if (el.closest('pre, code') || !rendered(el) || opacity(el) < 0.05) continue;
      if (![...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim())) continue;
      let px = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGElement) {
        const ctm = (el as SVGGraphicsElement).getScreenCTM?.();
        px *= ctm ? Math.hypot(ctm.a, ctm.b) : 1;
      } else px *= effectiveScale(el);
      const key = describe(el);
      if (px < minCodePx - 0.05 && (smallText.get(key) ?? Infinity) > px) smallText.set(key, px);
    }
    for (const [key, px] of smallText) problems.push(`text ${key} renders at ${px.toFixed(1)}px, below ${minCodePx}px`);

    // 3c. A picture shrunk to fit: the words in it shrink with it (draw it as slide content instead).
    for (const img of slide.querySelectorAll('img')) {
      if (!rendered(img) || !img.naturalWidth) continue;
      const shown = img.getBoundingClientRect().width / img.naturalWidth;
      if (shown < 0.75)
        problems.push(
          `picture ${describe(img)} (${img.getAttribute('src')}) is drawn at ${Math.round(shown * 100)}% of its size: any text in it shrinks with it`,
        );
    }

    // 3d. Code text, dimmed or not, at 4.5:1 or better against what is behind it.
    const faint = new Map<string, number>();
    for (const el of slide.querySelectorAll('pre *, :not(pre) > code')) {
      if (!rendered(el) || opacity(el) < 0.05 || ![...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim())) continue;
      const ratio = contrast(el);
      if (ratio === undefined) continue;
      const key = `"${(el.textContent ?? '').trim().slice(0, 40)}"`;
      if (ratio < 4.5 && (faint.get(key) ?? Infinity) > ratio) faint.set(key, ratio);
    }
    for (const [key, ratio] of faint) problems.push(`code text ${key} has a contrast of ${ratio.toFixed(1)}:1 against its background, below 4.5:1`);

    // 4. Nothing but the slide is drawn over the slide: no go-to list, menu or dialog.
    const overlays = new Set<Element>();
    for (const el of document.querySelectorAll('body *')) {
      if (el.contains(frameEl) || frameEl.contains(el)) continue; // the slide, and what holds it
      const r = el.getBoundingClientRect();
      const w = Math.min(r.right, innerWidth) - Math.max(r.left, 0);
      const h = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
      if (w <= 0 || h <= 0 || w * h < 16 || !rendered(el) || opacity(el) < 0.05) continue;
      const cs = getComputedStyle(el);
      if ((el.textContent ?? '').trim() === '' && cs.backgroundColor === 'rgba(0, 0, 0, 0)' && cs.borderTopWidth === '0px') continue;
      let outer = false;
      for (let e = el.parentElement; e; e = e.parentElement) if (overlays.has(e)) outer = true;
      overlays.add(el);
      if (!outer) problems.push(`${describe(el)} is visible over the slide (${where(r)})`);
    }
    return problems;
  }, MIN_CODE_PX);
}

/** What the page-side checks share, installed in every page by `shimNames` (a page.evaluate body cannot call a function of this module). */
interface PageHelpers {
  /** An element's opacity, its ancestors' multiplied in. */
  opacity(el: Element): number;
  /** The contrast of an element's text against what is behind it, its opacity counted (WCAG's formula); undefined when its colour cannot be read. */
  contrast(el: Element): number | undefined;
}

function installPageHelpers(): void {
  const rgba = (c: string) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : undefined;
  };
  const luminance = ([r, g, b]: number[]) =>
    [r!, g!, b!].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
  const backgroundOf = (el: Element): number[] => {
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3]! > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const opacity = (el: Element): number => {
    let o = 1;
    for (let e: Element | null = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const contrast = (el: Element): number | undefined => {
    const fg = rgba(getComputedStyle(el).color);
    if (!fg) return undefined;
    const bg = backgroundOf(el);
    const a = fg[3]! * opacity(el);
    const seen = [0, 1, 2].map((i) => fg[i]! * a + bg[i]! * (1 - a));
    const [hi, lo] = [luminance(seen), luminance(bg)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };
  (window as unknown as { __stagecraft: PageHelpers }).__stagecraft = { opacity, contrast };
}

/** tsx and esbuild name functions with a `__name` helper the page does not have; then the page-side helpers. */
export const shimNames = async (target: Pick<Page, 'addInitScript'>) => {
  await target.addInitScript('window.__name = (f) => f');
  await target.addInitScript(installPageHelpers);
};

/**
 * Code lines under `root` (a CSS selector) that a reader would see dimmed: drawn at less than
 * full opacity (their own or an ancestor's), or in a colour below 4.5:1 against what is behind
 * them. One line per problem; `lines` counts the code lines looked at, so a check that found
 * no code at all can say so.
 */
export async function dimmedCode(page: Page, root: string): Promise<{ lines: number; dimmed: number; problems: string[] }> {
  return page.evaluate((root: string) => {
    const { contrast, opacity } = (window as unknown as { __stagecraft: PageHelpers }).__stagecraft;
    const problems: string[] = [];
    const lines = [...document.querySelectorAll(`${root} .slidev-code .line`)];
    for (const line of lines) {
      const text = (line.textContent ?? '').trim();
      if (!text) continue;
      const what = `"${text.slice(0, 50)}"`;
      const o = opacity(line);
      if (o < 0.999) {
        problems.push(`code line ${what} is drawn at opacity ${o.toFixed(2)}`);
        continue;
      }
      let worst = Infinity;
      for (const el of [line, ...line.querySelectorAll('*')]) {
        if (![...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim())) continue;
        worst = Math.min(worst, contrast(el) ?? Infinity);
      }
      if (worst < 4.5) problems.push(`code line ${what} has a contrast of ${worst.toFixed(1)}:1, below 4.5:1`);
    }
    const dimmed = document.querySelectorAll(`${root} .slidev-code .slidev-code-dishonored`).length;
    return { lines: lines.length, dimmed, problems };
  }, root);
}
