/**
 * The squarified treemap layout (Bruls, Huizing, van Wijk, 2000), as JavaScript for the
 * page: values (positive, largest first) → rectangles `[x, y, w, h]` in the same order,
 * filling the given rectangle, each as close to square as the row allows. A string, so
 * the page carries it inline whatever compiled this module; the unit tests run it too.
 */
export const SQUARIFY_JS = String.raw`
function squarify(values, x, y, w, h) {
  var out = new Array(values.length);
  var total = 0;
  for (var t = 0; t < values.length; t++) total += values[t];
  if (!(total > 0) || !(w > 0) || !(h > 0)) {
    for (var z = 0; z < values.length; z++) out[z] = [x, y, 0, 0];
    return out;
  }
  var scale = (w * h) / total;
  var i = 0;
  var n = values.length;
  while (i < n) {
    var side = Math.min(w, h);
    var rowSum = 0;
    var rowMin = Infinity;
    var rowMax = 0;
    var best = Infinity;
    var j = i;
    while (j < n) {
      var a = values[j] * scale;
      var s = rowSum + a;
      var mn = Math.min(rowMin, a);
      var mx = Math.max(rowMax, a);
      var worst = Math.max((side * side * mx) / (s * s), (s * s) / (side * side * mn));
      if (j > i && worst > best) break;
      rowSum = s;
      rowMin = mn;
      rowMax = mx;
      best = worst;
      j++;
    }
    var k;
    if (w >= h) {
      var cw = j === n ? w : rowSum / h;
      var yy = y;
      for (k = i; k < j; k++) {
        var rh = k === j - 1 ? y + h - yy : (values[k] * scale) / cw;
        out[k] = [x, yy, cw, rh];
        yy += rh;
      }
      x += cw;
      w -= cw;
    } else {
      var ch = j === n ? h : rowSum / w;
      var xx = x;
      for (k = i; k < j; k++) {
        var rw = k === j - 1 ? x + w - xx : (values[k] * scale) / ch;
        out[k] = [xx, y, rw, ch];
        xx += rw;
      }
      y += ch;
      h -= ch;
    }
    i = j;
  }
  return out;
}
`;
