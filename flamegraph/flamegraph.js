// Behaviour of loadprof flame graphs, embedded in every SVG at build time:
// click a frame to zoom (its ancestors stay, full width and faded), Reset Zoom,
// regex Search that highlights matches and reports the matched share of the
// total without counting a frame that sits inside another match twice, and a
// details line on hover (the <title> of each frame is the native tooltip).
//
// The SVG carries what the script needs: on the root, data-total/-xpad/
// -font-size/-font-width; on each frame <g class="fg-f">, data-s (samples
// before it on its row), data-n (its samples) and data-d (its depth). Because
// a row's frames never overlap and a child lies inside its parent's range,
// "inside the zoomed frame's range and deeper" means descendant and "contains
// it and shallower" means ancestor, without any tree in the page.
//
// Everything is scoped to this script's own <svg>, so several graphs can be
// inline in one HTML report. Tests and reports drive it through
// svg.flamegraph = {zoom, reset, search, clearSearch}.
(function () {
  'use strict';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var svg = null;
  if (document.currentScript && document.currentScript.closest) svg = document.currentScript.closest('svg.flamegraph');
  if (!svg) {
    var all = document.getElementsByClassName('flamegraph');
    svg = all[all.length - 1];
  }
  if (!svg || svg.flamegraph) return;

  var num = function (el, name) { return Number(el.getAttribute(name)); };
  var total = num(svg, 'data-total');
  var xpad = num(svg, 'data-xpad');
  var width = num(svg, 'width') - 2 * xpad;
  var charWidth = num(svg, 'data-font-size') * num(svg, 'data-font-width');
  var q = function (cls) { return svg.getElementsByClassName(cls)[0]; };
  var framesGroup = q('fg-frames');
  var details = q('fg-details');
  var resetButton = q('fg-reset');
  var searchButton = q('fg-search');
  var icButton = q('fg-ic');
  var matched = q('fg-matched');

  var frames = [];
  var byGroup = new Map();
  Array.prototype.forEach.call(framesGroup.getElementsByClassName('fg-f'), function (g) {
    var title = g.getElementsByTagName('title')[0].textContent;
    var rect = g.getElementsByTagName('rect')[0];
    var text = g.getElementsByTagName('text')[0] || null;
    var f = {
      g: g, rect: rect, text: text, title: title,
      name: title.slice(0, title.lastIndexOf(' (')),
      s: num(g, 'data-s'), n: num(g, 'data-n'), d: num(g, 'data-d'),
      x0: rect.getAttribute('x'), w0: rect.getAttribute('width'),
      label0: text ? text.textContent : '', tx0: text ? text.getAttribute('x') : null
    };
    frames.push(f);
    byGroup.set(g, f);
  });

  // Same rule as frame_label() in svg.cpp: whole name, or cut with "..", or nothing.
  function label(name, w) {
    var fit = Math.floor(w / charWidth);
    if (!(fit >= 3)) return '';
    var cps = Array.from(name);
    return cps.length <= fit ? name : cps.slice(0, fit - 2).join('') + '..';
  }

  function place(f, x, w) {
    f.rect.setAttribute('x', x.toFixed(2));
    f.rect.setAttribute('width', w.toFixed(2));
    var text = label(f.name, w);
    if (!f.text) {
      if (!text) return;
      f.text = document.createElementNS(SVG_NS, 'text');
      f.text.setAttribute('y', (Number(f.rect.getAttribute('y')) + 10.5).toFixed(2));
      f.g.appendChild(f.text);
    }
    f.text.setAttribute('x', (x + 3).toFixed(2));
    f.text.textContent = text;
  }

  var zoomed = null;

  function zoom(target) {
    var f = byGroup.get(target) || target;
    if (!f || f.n <= 0) return;
    var scale = width / f.n;
    var end = f.s + f.n;
    frames.forEach(function (o) {
      var cls = o.g.classList;
      if (o.d < f.d && o.s <= f.s && o.s + o.n >= end) {
        cls.remove('fg-hide');
        cls.add('fg-parent');
        place(o, xpad, width);
      } else if (o.d >= f.d && o.s >= f.s && o.s + o.n <= end) {
        cls.remove('fg-hide');
        cls.remove('fg-parent');
        place(o, xpad + (o.s - f.s) * scale, o.n * scale);
      } else {
        cls.add('fg-hide');
        cls.remove('fg-parent');
      }
    });
    zoomed = f;
    resetButton.classList.remove('fg-hide');
  }

  function reset() {
    frames.forEach(function (o) {
      o.g.classList.remove('fg-hide');
      o.g.classList.remove('fg-parent');
      o.rect.setAttribute('x', o.x0);
      o.rect.setAttribute('width', o.w0);
      if (o.text) {
        if (o.tx0 === null) {
          o.g.removeChild(o.text);
          o.text = null;
        } else {
          o.text.setAttribute('x', o.tx0);
          o.text.textContent = o.label0;
        }
      }
    });
    zoomed = null;
    resetButton.classList.add('fg-hide');
  }

  var ignoreCase = false;
  var currentTerm = null;

  // Highlights frames whose name matches the regex and returns the matched
  // percent of all samples. Matches are taken in row order; one that starts
  // inside the range of the previous counted match is nested in it (a
  // recursive call) and is not counted again.
  function search(term, caseless) {
    if (caseless !== undefined) setIgnoreCase(!!caseless);
    var re;
    try {
      re = new RegExp(term, ignoreCase ? 'i' : '');
    } catch (e) {
      matched.textContent = 'Bad regex: ' + e.message;
      return null;
    }
    var hits = [];
    frames.forEach(function (o) {
      if (re.test(o.name)) {
        o.rect.classList.add('fg-match');
        hits.push(o);
      } else {
        o.rect.classList.remove('fg-match');
      }
    });
    hits.sort(function (a, b) { return a.s - b.s || b.n - a.n; });
    var sum = 0, end = -1;
    hits.forEach(function (o) {
      if (o.s >= end) {
        sum += o.n;
        end = o.s + o.n;
      }
    });
    var pct = total > 0 ? 100 * sum / total : 0;
    currentTerm = term;
    searchButton.classList.add('fg-on');
    searchButton.textContent = 'Reset Search';
    matched.textContent = 'Matched: ' + pct.toFixed(2) + '% (' + hits.length + ' frames)';
    return pct;
  }

  function clearSearch() {
    frames.forEach(function (o) { o.rect.classList.remove('fg-match'); });
    currentTerm = null;
    searchButton.classList.remove('fg-on');
    searchButton.textContent = 'Search';
    matched.textContent = ' ';
  }

  function setIgnoreCase(on) {
    ignoreCase = on;
    if (on) icButton.classList.add('fg-on'); else icButton.classList.remove('fg-on');
  }

  function promptSearch() {
    var term = window.prompt('Search for a frame (regular expression)' + (ignoreCase ? ', ignoring case' : ''), '');
    if (term) search(term);
  }

  framesGroup.addEventListener('click', function (e) {
    var g = e.target.closest ? e.target.closest('.fg-f') : null;
    if (g) zoom(g);
  });
  framesGroup.addEventListener('mouseover', function (e) {
    var g = e.target.closest ? e.target.closest('.fg-f') : null;
    if (g) details.textContent = byGroup.get(g).title;
  });
  framesGroup.addEventListener('mouseout', function () { details.textContent = ' '; });
  resetButton.addEventListener('click', reset);
  searchButton.addEventListener('click', function () {
    if (currentTerm !== null) clearSearch(); else promptSearch();
  });
  icButton.addEventListener('click', function () {
    setIgnoreCase(!ignoreCase);
    if (currentTerm !== null) search(currentTerm);
  });
  // Ctrl-F / F3 search and Escape reset only when the SVG is the page itself.
  if (document.documentElement === svg) {
    window.addEventListener('keydown', function (e) {
      if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) {
        e.preventDefault();
        promptSearch();
      } else if (e.keyCode === 27) {
        reset();
      }
    });
  }

  svg.flamegraph = {
    zoom: zoom, reset: reset, search: search, clearSearch: clearSearch,
    zoomed: function () { return zoomed ? zoomed.g : null; }
  };
})();
