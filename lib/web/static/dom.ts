/// <reference lib="dom" />
/**
 * The two DOM helpers every part of the app uses: find an element of the page, make one.
 * Text always goes in as `textContent`, never as HTML.
 *
 * @module
 */

/** The page's element with this id (the page is fixed: a missing one is a bug). */
export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e;
}

/** A new element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
