// DOM helpers. Elements are built from data with textContent and properties
// only, never from HTML strings, so nothing the gateway returns can inject
// markup. Event handlers are attached with addEventListener (the page's
// Content-Security-Policy forbids inline handlers).

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') {
      node.textContent = String(value);
    } else if (name === 'class') {
      node.setAttribute('class', value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** el('td', {class: 'num'}, 'text', child) builds an HTML element. */
export function el(tag, attrs = {}, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

/** svg('rect', {x: 1}) builds an SVG element. */
export function svg(tag, attrs = {}, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** byId returns the element with the id, or throws: a missing id is a bug in the page. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console: no element #${id}`);
  return node;
}

const OK_MESSAGE_MS = 12000;
const fading = new WeakMap(); // node → timer of its ok message

/**
 * say shows a message in a status or alert region; kind is 'ok', 'error' or
 * ''. An ok message goes away after a while, so that it never describes a
 * state that has changed since.
 */
export function say(node, text, kind = '') {
  clearTimeout(fading.get(node));
  node.textContent = text;
  node.classList.toggle('ok', kind === 'ok');
  node.classList.toggle('error', kind === 'error');
  if (kind === 'ok') {
    fading.set(node, setTimeout(() => {
      if (node.textContent === text) say(node, '');
    }, OK_MESSAGE_MS));
  }
}

/** badge is a small coloured label; kind is 'ok', 'err' or 'warn'. */
export function badge(text, kind) {
  return el('span', { class: `badge ${kind}` }, text);
}
