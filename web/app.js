'use strict';
// Shows whether the platform's services are ready (GET /readyz).
(async function () {
  const el = document.getElementById('status');
  try {
    const r = await fetch('/readyz', { headers: { Accept: 'application/json' } });
    const b = await r.json();
    el.textContent = b.status === 'ok' ? '服务正常' : '服务部分不可用（' + b.status + '）';
  } catch (e) {
    el.textContent = '无法连接服务';
  }
})();
