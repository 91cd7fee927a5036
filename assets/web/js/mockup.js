// The artwork's preview on the shirt before it is uploaded: a canvas mimic of the
// server's thumbnail (docs/kinds.md: a shaded shirt on #f0efeb, the artwork fitted at
// its own proportions into the print area, x 35–65 %, y 23.5–63.5 % of the side).
// Only a preview: the thumbnail the gallery shows is the server's.

const SIDE = 320;                                   // the thumbnail's size
const PRINT = { x0: 0.35, x1: 0.65, y0: 0.235, y1: 0.635 };
const BG = '#f0efeb', FABRIC = '#cfd2d6', SHADE = '#a9adb3', LIGHT = '#e3e5e8';

// The shirt's outline in units of the side (front view, sleeves out).
const SHIRT = [[0.39, 0.1], [0.3, 0.13], [0.12, 0.24], [0.05, 0.4], [0.2, 0.46], [0.26, 0.36],
  [0.26, 0.9], [0.74, 0.9], [0.74, 0.36], [0.8, 0.46], [0.95, 0.4], [0.88, 0.24], [0.7, 0.13], [0.61, 0.1]];

function shirt(ctx) {
  const s = SIDE;
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, s, s);
  ctx.beginPath();
  SHIRT.forEach(([x, y], i) => (i ? ctx.lineTo(x * s, y * s) : ctx.moveTo(x * s, y * s)));
  ctx.quadraticCurveTo(0.5 * s, 0.2 * s, 0.39 * s, 0.1 * s); // the collar's curve
  ctx.closePath();
  ctx.save();
  ctx.shadowColor = 'rgba(0,0,0,.18)';
  ctx.shadowBlur = 10;
  ctx.shadowOffsetY = 4;
  const g = ctx.createLinearGradient(0.05 * s, 0, 0.95 * s, 0); // darker to the sides
  g.addColorStop(0, SHADE);
  g.addColorStop(0.3, FABRIC);
  g.addColorStop(0.5, LIGHT);
  g.addColorStop(0.7, FABRIC);
  g.addColorStop(1, SHADE);
  ctx.fillStyle = g;
  ctx.fill();
  ctx.restore();
  ctx.strokeStyle = SHADE; // the ribbed collar
  ctx.lineWidth = 0.012 * s;
  ctx.beginPath();
  ctx.moveTo(0.39 * s, 0.1 * s);
  ctx.quadraticCurveTo(0.5 * s, 0.2 * s, 0.61 * s, 0.1 * s);
  ctx.stroke();
}

// Draws img (an HTMLImageElement or ImageBitmap, loaded) on the shirt in canvas.
export function drawMockup(canvas, img) {
  canvas.width = canvas.height = SIDE;
  const ctx = canvas.getContext('2d');
  shirt(ctx);
  const w = (PRINT.x1 - PRINT.x0) * SIDE, hgt = (PRINT.y1 - PRINT.y0) * SIDE;
  const k = Math.min(w / img.width, hgt / img.height); // fitted, never clipped
  const dw = img.width * k, dh = img.height * k;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, PRINT.x0 * SIDE + (w - dw) / 2, PRINT.y0 * SIDE + (hgt - dh) / 2, dw, dh);
}
