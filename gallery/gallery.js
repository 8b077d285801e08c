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

  // Zoom: a click on an image shows it over the page, fitted to the window; a click on it
  // shows it at its own size (scroll to pan); Esc or a click beside it closes.
  var zoom = document.getElementById('zoom');
  var zoomImg = document.createElement('img');
  zoom.insertBefore(zoomImg, zoom.firstChild);
  function openZoom(img) {
    zoomImg.src = img.currentSrc || img.src;
    zoomImg.alt = img.alt;
    zoom.classList.remove('actual');
    zoom.hidden = false;
  }
  function closeZoom() { zoom.hidden = true; zoomImg.removeAttribute('src'); }
  document.addEventListener('click', function (e) {
    var img = e.target.closest ? e.target.closest('.media img, .compare img') : null;
    if (img && zoom.hidden && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      openZoom(img);
    }
  });
  zoom.addEventListener('click', function (e) {
    if (e.target === zoomImg) {
      zoom.classList.toggle('actual');
    } else {
      closeZoom();
    }
  });

  // Compare: a card with an image before and after shows them side by side, or one over the
  // other with a slider that uncovers the new one.
  cards.forEach(function (card) {
    var pair = card.querySelector('.pair');
    var imgs = pair ? pair.querySelectorAll('img') : [];
    if (imgs.length !== 2) { return; }
    var tools = document.createElement('div');
    tools.className = 'compare-tools';
    var slider = document.createElement('div');
    slider.className = 'compare';
    slider.hidden = true;
    var before = imgs[0].cloneNode();
    var after = imgs[1].cloneNode();
    after.className = 'after';
    var range = document.createElement('input');
    range.type = 'range';
    range.min = 0;
    range.max = 100;
    range.value = 50;
    range.setAttribute('aria-label', 'before | after');
    range.addEventListener('input', function () { after.style.clipPath = 'inset(0 0 0 ' + range.value + '%)'; });
    slider.appendChild(before);
    slider.appendChild(after);
    slider.appendChild(range);
    [['pair', 'side by side'], ['slider', 'slider']].forEach(function (m) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = m[1];
      b.setAttribute('data-mode', m[0]);
      b.setAttribute('aria-pressed', m[0] === 'pair' ? 'true' : 'false');
      b.addEventListener('click', function () {
        pair.hidden = m[0] !== 'pair';
        slider.hidden = m[0] !== 'slider';
        tools.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', x === b ? 'true' : 'false'); });
      });
      tools.appendChild(b);
    });
    pair.parentNode.insertBefore(tools, pair);
    pair.parentNode.insertBefore(slider, pair.nextSibling);
  });

  filter.addEventListener('input', update);
  kind.addEventListener('change', update);
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    var typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      filter.focus();
      filter.select();
    } else if (e.key === 'Escape' && !zoom.hidden) {
      closeZoom();
    } else if (e.key === 'Escape' && (typing || filter.value !== '' || kind.value !== '')) {
      clear();
      if (t && t.blur) { t.blur(); }
    }
  });
  update();

  if (/[?&]selftest=1(&|$)/.test(location.search)) { selftest(); }

  // selftest loads every image, then drives the filters the way a user would and reports.
  function selftest() {
    var imgs = Array.prototype.slice.call(document.querySelectorAll('.media img'));
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
      // layout: the cards use the window's width, and an image is shown large
      r.pageFill = cards.reduce(function (m, c) { return Math.max(m, c.getBoundingClientRect().right); }, 0) / window.innerWidth;
      r.thumbWidth = imgs.length ? Math.max.apply(null, imgs.map(function (i) { return i.getBoundingClientRect().width; })) : 0;
      // zoom: a click opens it with that image, a click on it shows its own size, Esc closes
      var shown = imgs.filter(function (i) { return i.closest('.media'); })[0];
      if (shown) {
        shown.click();
        r.zoomOpens = !zoom.hidden && zoomImg.src === shown.src;
        zoomImg.click();
        r.zoomActualSize = zoom.classList.contains('actual');
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
        r.zoomCloses = zoom.hidden;
      }
      // compare: the slider mode hides the pair, and its range uncovers the new image
      var sliders = document.querySelectorAll('.compare');
      r.sliders = sliders.length;
      if (sliders.length) {
        var card = sliders[0].closest('.card');
        card.querySelector('[data-mode="slider"]').click();
        var rg = sliders[0].querySelector('input');
        rg.value = 30;
        rg.dispatchEvent(new Event('input'));
        r.sliderShown = !sliders[0].hidden && card.querySelector('.pair').hidden;
        r.sliderClip = sliders[0].querySelector('img.after').style.clipPath;
        card.querySelector('[data-mode="pair"]').click();
        r.pairBack = sliders[0].hidden && !card.querySelector('.pair').hidden;
      }

      var out = document.getElementById('selftest');
      out.textContent = JSON.stringify(r);
      out.hidden = false;
    });
  }
})();
