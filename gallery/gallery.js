// genform gallery: filter the cards by text and kind. "/" focuses the filter, Esc clears it.
// With ?selftest=1 the page checks itself and writes JSON into <pre id="selftest">.
(function () {
  'use strict';
  var filter = document.getElementById('filter');
  var kind = document.getElementById('kind');
  var count = document.getElementById('count');
  var none = document.getElementById('none');
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('.group'));

  function update() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var k = kind.value;
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute('data-search') || '';
      var ok = (k === '' || (k === 'changed' ? card.getAttribute('data-action') !== '' : card.getAttribute('data-kind') === k)) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      card.hidden = !ok;
      if (ok) { shown++; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector('.card:not([hidden])'); });
    none.hidden = shown > 0 || cards.length === 0;
    count.textContent = shown === cards.length ? cards.length + (cards.length === 1 ? ' card' : ' cards') : shown + ' of ' + cards.length + ' shown';
  }

  function clear() {
    filter.value = '';
    kind.value = '';
    update();
  }

  filter.addEventListener('input', update);
  kind.addEventListener('change', update);
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    var typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      filter.focus();
      filter.select();
    } else if (e.key === 'Escape' && (typing || filter.value !== '' || kind.value !== '')) {
      clear();
      if (t && t.blur) { t.blur(); }
    }
  });
  update();

  if (/[?&]selftest=1(&|$)/.test(location.search)) { selftest(); }

  // selftest loads every image, then drives the filters the way a user would and reports.
  function selftest() {
    var imgs = Array.prototype.slice.call(document.images);
    var loaded = imgs.map(function (img) {
      img.loading = 'eager';
      if (img.complete) { return Promise.resolve(); }
      return new Promise(function (done) {
        img.addEventListener('load', done);
        img.addEventListener('error', done);
      });
    });
    Promise.all(loaded).then(function () {
      var hidden = function () { return cards.filter(function (c) { return c.hidden; }).length; };
      var r = { cards: cards.length, images: imgs.length, videos: document.querySelectorAll('video').length, viewport: window.innerHeight };
      r.broken = imgs.filter(function (i) { return !(i.naturalWidth > 0); }).map(function (i) { return i.getAttribute('src'); });
      var first = cards.length ? cards[0].querySelector('.addr').textContent : '';
      filter.value = first;
      filter.dispatchEvent(new Event('input'));
      r.filter = first;
      r.hiddenByFilter = hidden();
      filter.value = 'no card matches this xyzzy';
      filter.dispatchEvent(new Event('input'));
      r.hiddenByNonsense = hidden();
      r.noneShown = !none.hidden;
      filter.blur();
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: '/', bubbles: true }));
      r.slashFocuses = document.activeElement === filter;
      filter.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      r.escapeClears = filter.value === '' && hidden() === 0;
      kind.value = 'image';
      kind.dispatchEvent(new Event('change'));
      r.hiddenByKind = hidden();
      r.nonImagesShown = cards.filter(function (c) { return !c.hidden && c.getAttribute('data-kind') !== 'image'; }).length;
      clear();
      var out = document.getElementById('selftest');
      out.textContent = JSON.stringify(r);
      out.hidden = false;
    });
  }
})();
