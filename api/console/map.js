// Piles (and a lock's scope) drawn on an SVG from their latitude and
// longitude, in the Web Mercator projection: without tiles it needs no
// network; when the server names a tile URL (--map-tile-url, read from
// /console/settings.json) the tiles of that projection go underneath. Each
// pile is a link to its page; its state shows as a shape and a word, not
// only a colour.

const WIDTH = 640;
const HEIGHT = 400;
const PAD = 40;
const SVG = 'http://www.w3.org/2000/svg';
const EARTH_RADIUS_KM = 6371;
const TILE_PX = 256;
const MAX_TILES = 64;

let settings = {};

// Once per page, before maps are drawn: the server's map settings. Without
// them (an older server, an error) maps are drawn without tiles.
export async function loadMapSettings() {
  try {
    const response = await fetch('/console/settings.json');
    if (response.ok) settings = await response.json();
  } catch { /* offline drawing */ }
}

const mercatorX = (lon) => (lon * Math.PI) / 180;
const mercatorY = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
const latitudeOf = (my) => ((2 * Math.atan(Math.exp(my)) - Math.PI / 2) * 180) / Math.PI;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// The tiles under the view centred on mercator (cx, cy) at `scale` pixels
// per unit, at the zoom whose tile pixels come closest to ours.
function tiles(template, cx, cy, scale) {
  const group = svg('g', { class: 'map-tiles', 'aria-hidden': 'true' });
  const zoom = Math.max(0, Math.min(19, Math.round(Math.log2((scale * 2 * Math.PI) / TILE_PX))));
  const count = 2 ** zoom;
  const unit = (2 * Math.PI) / count;  // one tile, in mercator units
  const column = (mx) => Math.floor((mx + Math.PI) / unit);
  const row = (my) => Math.floor((Math.PI - my) / unit);
  const [c0, c1] = [column(cx - WIDTH / 2 / scale), column(cx + WIDTH / 2 / scale)];
  const [r0, r1] = [row(cy + HEIGHT / 2 / scale), row(cy - HEIGHT / 2 / scale)];
  if ((c1 - c0 + 1) * (r1 - r0 + 1) > MAX_TILES) return group;
  for (let c = c0; c <= c1; c += 1) {
    for (let r = Math.max(0, r0); r <= Math.min(count - 1, r1); r += 1) {
      const href = template.replace('{z}', zoom).replace('{x}', ((c % count) + count) % count).replace('{y}', r);
      group.append(svg('image', {
        href, x: WIDTH / 2 + (-Math.PI + c * unit - cx) * scale, y: HEIGHT / 2 - (Math.PI - r * unit - cy) * scale,
        width: unit * scale, height: unit * scale,
      }));
    }
  }
  return group;
}

// points: [{id, lat, lon, state: 'online'|'offline'|'faulted'|'caught', href}]
// options: {circle: {lat, lon, radiusKm}, title, legend (what the shapes
// mean, when not piles), empty (the words for no point), onPick(lat, lon)}: with
// onPick a click on the map gives the point clicked (the page offers fields
// for the keyboard too).
export function drawMap(points, options = {}) {
  const located = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const figure = document.createElement('figure');
  figure.className = 'map';
  if (!located.length && !options.circle) {
    figure.append(options.empty || 'No pile has a location.');
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
  const xs = lons.map(mercatorX);
  const ys = lats.map(mercatorY);
  const spanX = Math.max(Math.max(...xs) - Math.min(...xs), 1e-5);
  const spanY = Math.max(Math.max(...ys) - Math.min(...ys), 1e-5);
  const scale = Math.min((WIDTH - 2 * PAD) / spanX, (HEIGHT - 2 * PAD) / spanY);
  const x0 = (Math.min(...xs) + Math.max(...xs)) / 2;
  const y0 = (Math.min(...ys) + Math.max(...ys)) / 2;
  const x = (lon) => WIDTH / 2 + (mercatorX(lon) - x0) * scale;
  const y = (lat) => HEIGHT / 2 - (mercatorY(lat) - y0) * scale;

  const title = options.title || 'Map of piles';
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'group', 'aria-label': title });
  root.append(svg('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'map-ground' }));
  if (settings.mapTileUrl) root.append(tiles(settings.mapTileUrl, x0, y0, scale));
  if (circle) {
    const r = ((circle.radiusKm / EARTH_RADIUS_KM) / Math.cos((circle.lat * Math.PI) / 180)) * scale;
    root.append(
      svg('circle', { cx: x(circle.lon), cy: y(circle.lat), r, class: 'map-scope' },
        svg('title', {}, `Lock scope: ${circle.radiusKm} km around ${circle.lat.toFixed(4)}, ${circle.lon.toFixed(4)}`)),
      svg('path', { d: `M${x(circle.lon) - 6},${y(circle.lat)} h12 M${x(circle.lon)},${y(circle.lat) - 6} v12`, class: 'map-centre' }),
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
  if (options.onPick) {
    root.classList.add('map-pickable');
    root.addEventListener('click', (event) => {
      const matrix = root.getScreenCTM();
      if (!matrix) return;
      const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      const lat = latitudeOf(y0 + (HEIGHT / 2 - at.y) / scale);
      const lon = ((x0 + (at.x - WIDTH / 2) / scale) * 180) / Math.PI;
      options.onPick(Number(lat.toFixed(5)), Number(lon.toFixed(5)));
    });
  }
  figure.append(root);
  const caption = document.createElement('figcaption');
  caption.textContent = `${title}: ${options.legend || 'circle online, square offline, triangle faulted, cross caught.'}`
    + (settings.mapTileUrl ? ` Map tiles from ${new URL(settings.mapTileUrl.replace(/[{}]/g, '')).host}.` : '');
  figure.append(caption);
  return figure;
}
