// Piles (and a lock's scope) drawn on an SVG from their latitude and
// longitude: no map tiles, no network. An equirectangular projection around
// the points' middle is exact enough for a city or a region. Each pile is a
// link to its page; its state shows as a shape and a word, not only a colour.

const WIDTH = 640;
const HEIGHT = 400;
const PAD = 40;
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// points: [{id, lat, lon, state: 'online'|'offline'|'faulted'|'caught', href}]
// options: {circle: {lat, lon, radiusKm}, title}
export function drawMap(points, options = {}) {
  const located = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const figure = document.createElement('figure');
  figure.className = 'map';
  if (!located.length && !options.circle) {
    figure.append('No pile has a location.');
    return figure;
  }
  const lats = located.map((p) => p.lat);
  const lons = located.map((p) => p.lon);
  const circle = options.circle;
  if (circle) {
    const dLat = circle.radiusKm / 111.32;
    const dLon = dLat / Math.cos((circle.lat * Math.PI) / 180);
    lats.push(circle.lat - dLat, circle.lat + dLat);
    lons.push(circle.lon - dLon, circle.lon + dLon);
  }
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = Math.cos((midLat * Math.PI) / 180);
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * kx, 1e-3);
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 1e-3);
  const scale = Math.min((WIDTH - 2 * PAD) / spanX, (HEIGHT - 2 * PAD) / spanY);
  const x0 = (Math.min(...lons) + Math.max(...lons)) / 2;
  const y0 = midLat;
  const x = (lon) => WIDTH / 2 + (lon - x0) * kx * scale;
  const y = (lat) => HEIGHT / 2 - (lat - y0) * scale;

  const title = options.title || 'Map of piles';
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'group', 'aria-label': title });
  root.append(svg('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'map-ground' }));
  if (circle) {
    const r = (circle.radiusKm / 111.32) * scale;
    root.append(
      svg('circle', { cx: x(circle.lon), cy: y(circle.lat), r, class: 'map-scope' },
        svg('title', {}, `Lock scope: ${circle.radiusKm} km around ${circle.lat.toFixed(4)}, ${circle.lon.toFixed(4)}`)),
    );
  }
  for (const p of located) {
    const cx = x(p.lon);
    const cy = y(p.lat);
    let shape;
    if (p.state === 'offline') shape = svg('rect', { x: cx - 6, y: cy - 6, width: 12, height: 12 });
    else if (p.state === 'faulted') shape = svg('path', { d: `M${cx},${cy - 8} L${cx + 8},${cy + 6} L${cx - 8},${cy + 6} Z` });
    else if (p.state === 'caught') shape = svg('path', { d: `M${cx - 8},${cy - 8} L${cx + 8},${cy + 8} M${cx + 8},${cy - 8} L${cx - 8},${cy + 8}` });
    else shape = svg('circle', { cx, cy, r: 7 });
    const label = `${p.id}: ${p.state}`;
    const group = svg('g', { class: `map-pile map-${p.state}` }, svg('title', {}, label), shape,
      svg('text', { x: cx + 10, y: cy + 4 }, `${p.id} (${p.state})`));
    if (p.href) {
      const link = svg('a', { href: p.href, 'aria-label': label }, group);
      root.append(link);
    } else {
      root.append(group);
    }
  }
  figure.append(root);
  const caption = document.createElement('figcaption');
  caption.textContent = `${title}: circle online, square offline, triangle faulted, cross caught.`;
  figure.append(caption);
  return figure;
}
