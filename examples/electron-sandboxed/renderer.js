// The page: no Node, no proxies; only the plain-data API the preload exposed.
'use strict';
(async () => {
  const out = document.getElementById('out');
  const lines = [
    `mode: ${window.demo.mode()}, backend: ${window.demo.backend()}`,
    `platform: ${await window.demo.platform()}`,
    `10,000 requires: ${JSON.stringify(await window.demo.requireMany(10000))}`,
    `after collect: ${JSON.stringify(await window.demo.collect())}`,
  ];
  out.textContent = lines.join('\n');
})();
