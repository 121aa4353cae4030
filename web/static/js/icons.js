// Line icons as inline SVG (no icon font, no emoji font needed: the pages
// look the same on every system).

const SVG = 'http://www.w3.org/2000/svg';

// Each icon is a list of [element, attributes] on a 24×24 grid.
const ICONS = {
  gift: [['rect', { x: 3, y: 8, width: 18, height: 4, rx: 1 }], ['path', { d: 'M5 12v8a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-8M12 8v13' }],
    ['path', { d: 'M12 8c-1.5-3.5-5.5-4.5-6-2s3 2 6 2zm0 0c1.5-3.5 5.5-4.5 6-2s-3 2-6 2z' }]],
  packet: [['rect', { x: 5, y: 3, width: 14, height: 18, rx: 2 }], ['path', { d: 'M5 8.5 12 12l7-3.5' }], ['circle', { cx: 12, cy: 12, r: 2.2, fill: 'currentColor' }]],
  wallet: [['rect', { x: 3, y: 6, width: 18, height: 14, rx: 2 }], ['path', { d: 'M3 10h18M16 15h2M6 6V5a1 1 0 0 1 1-1h10' }]],
  tree: [['path', { d: 'M12 3 6.5 10H9l-4 6h14l-4-6h2.5z' }], ['path', { d: 'M12 16v5M9.5 21h5' }]],
  mail: [['rect', { x: 3, y: 5, width: 18, height: 14, rx: 2 }], ['path', { d: 'm3 7 9 6 9-6' }]],
  shield: [['path', { d: 'M12 3 19 6v6c0 4.5-3 7.5-7 9-4-1.5-7-4.5-7-9V6z' }], ['path', { d: 'm9 12 2 2 4-4' }]],
  trophy: [['path', { d: 'M8 4h8v5a4 4 0 0 1-8 0zM8 6H5a3 3 0 0 0 3 4M16 6h3a3 3 0 0 1-3 4M12 13v4M8.5 21h7M10 17h4v4h-4z' }]],
  crown: [['path', { d: 'M3 8l4.5 4L12 5l4.5 7L21 8l-2 11H5z' }]],
  star: [['path', { d: 'm12 3 2.6 5.6 6.1.7-4.5 4.2 1.2 6L12 16.5 6.6 19.5l1.2-6-4.5-4.2 6.1-.7z' }]],
  bell: [['path', { d: 'M6 16v-5a6 6 0 0 1 12 0v5l2 2H4zM10 20.5a2 2 0 0 0 4 0' }]],
  upload: [['path', { d: 'M12 16V4M7 9l5-5 5 5M5 20h14' }]],
  download: [['path', { d: 'M12 4v12M7 11l5 5 5-5M5 20h14' }]],
  play: [['path', { d: 'M7 4.5v15L19.5 12z' }]],
  scale: [['path', { d: 'M12 4v16M7 20h10M5 7h14M5 7l-2.5 6a2.5 2.5 0 0 0 5 0zM19 7l-2.5 6a2.5 2.5 0 0 0 5 0z' }]],
  database: [['ellipse', { cx: 12, cy: 6, rx: 7, ry: 3 }], ['path', { d: 'M5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3' }]],
  check: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'm8 12 3 3 5-6' }]],
  cross: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'm9 9 6 6M15 9l-6 6' }]],
  pay: [['rect', { x: 3, y: 5, width: 18, height: 14, rx: 3 }], ['path', { d: 'm8 12 3 3 5-6' }]],
  plus: [['path', { d: 'M12 5v14M5 12h14' }]],
  chart: [['path', { d: 'M3 20h18M6 16l4-5 4 3 5-7' }]],
  users: [['circle', { cx: 9, cy: 8, r: 3.5 }], ['path', { d: 'M2.5 20a6.5 6.5 0 0 1 13 0M16 4.5a3.5 3.5 0 0 1 0 7M18 14a6 6 0 0 1 3.5 6' }]],
  clover: [['circle', { cx: 8.5, cy: 8.5, r: 3.5, fill: 'currentColor' }], ['circle', { cx: 15.5, cy: 8.5, r: 3.5, fill: 'currentColor' }],
    ['circle', { cx: 8.5, cy: 15.5, r: 3.5, fill: 'currentColor' }], ['circle', { cx: 15.5, cy: 15.5, r: 3.5, fill: 'currentColor' }], ['path', { d: 'm12 12 6 9' }]],
};

/** icon returns an inline SVG icon; cls adds classes. */
export function icon(name, cls = '') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name} ${cls}`.trim());
  svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of ICONS[name] || []) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.append(el);
  }
  return svg;
}

/** avatar is a coloured circle with the first letter of a name. */
export function avatar(name, doc = document) {
  const s = String(name || '?');
  let hash = 0;
  for (const ch of s) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const el = doc.createElement('span');
  el.className = `avatar hue-${hash % 8}`;
  el.textContent = (Array.from(s)[0] || '?').toUpperCase();
  return el;
}
