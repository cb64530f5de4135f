// The swarm web UI's script (no build step): polls /stats/requests every second and renders
// the status bar, three uPlot charts, the statistics, current ratio and failures tables, and (--master only,
// as Locust's Workers tab) the workers with their state, users, CPU and memory; the form and
// buttons call POST /swarm, /stop and /stats/reset. Every text from the server goes in with
// textContent (request names and error messages come from the target).
(() => {
  const POLL_MS = 1000;
  const CHART_HEIGHT = 220;
  const $ = (id) => document.getElementById(id);

  const fixed = (digits) => (v) => Number(v).toFixed(digits);
  const whole = (v) => String(Math.round(Number(v)));

  /** Statistics table: [field, formatter] per column, in page.html's order. */
  const STAT_COLUMNS = [
    ['method', String],
    ['name', String],
    ['num_requests', String],
    ['num_failures', String],
    ['median_response_time', whole],
    ['response_time_percentile_0.95', whole],
    ['response_time_percentile_0.99', whole],
    ['avg_response_time', whole],
    ['min_response_time', whole],
    ['max_response_time', whole],
    ['avg_content_length', whole],
    ['current_rps', fixed(1)],
    ['current_fail_per_sec', fixed(1)],
  ];
  const FAILURE_COLUMNS = [
    ['occurrences', String],
    ['method', String],
    ['name', String],
    ['error', String],
  ];

  const percent = (v) => (v === null || v === undefined ? '' : `${Number(v).toFixed(1)}%`);
  const megabytes = (v) => (v === null || v === undefined ? '' : `${Math.round(Number(v) / 1048576)} MB`);
  const WORKER_COLUMNS = [
    ['id', String],
    ['host', (v) => (v === null || v === undefined ? '' : String(v))],
    ['state', String],
    ['user_count', String],
    ['cpu_usage', percent],
    ['memory_usage', megabytes],
  ];

  const CHARTS = [
    {
      id: 'chart-rps',
      series: [
        { label: 'RPS', stroke: '#1f6feb', width: 2, fill: 'rgba(31,111,235,0.08)' },
        { label: 'Failures/s', stroke: '#c62828', width: 2 },
      ],
      columns: (h) => [h.map((p) => p.rps), h.map((p) => p.fail_per_sec)],
    },
    {
      id: 'chart-latency',
      series: [
        { label: 'Median (ms)', stroke: '#2e7d32', width: 2 },
        { label: '95%ile (ms)', stroke: '#ef6c00', width: 2 },
      ],
      columns: (h) => [h.map((p) => p.p50), h.map((p) => p.p95)],
    },
    {
      id: 'chart-users',
      series: [{ label: 'Users', stroke: '#6a1b9a', width: 2, fill: 'rgba(106,27,154,0.08)' }],
      columns: (h) => [h.map((p) => p.user_count)],
    },
  ];

  const plots = CHARTS.map((c) => {
    const el = $(c.id);
    const empty = [[], ...c.series.map(() => [])];
    const plot = new uPlot(
      {
        width: chartWidth(el),
        height: CHART_HEIGHT,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        series: [{ label: 'Time' }, ...c.series],
        axes: [{}, { size: 60 }],
      },
      empty,
      el,
    );
    return { el, plot, columns: c.columns };
  });

  function chartWidth(el) {
    const style = getComputedStyle(el);
    return Math.max(
      200,
      el.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight),
    );
  }

  window.addEventListener('resize', () => {
    for (const p of plots) p.plot.setSize({ width: chartWidth(p.el), height: CHART_HEIGHT });
  });

  function renderCharts(history) {
    const times = history.map((p) => p.time);
    for (const p of plots) {
      p.plot.setData([times, ...p.columns(history)]);
      p.el.dataset.points = String(times.length);
    }
  }

  function row(values, columns, attrs) {
    const tr = document.createElement('tr');
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    for (const [field, format] of columns) {
      const td = document.createElement('td');
      td.dataset.col = field;
      td.textContent = format(values[field]);
      tr.append(td);
    }
    return tr;
  }

  function renderTables(doc) {
    const stats = doc.stats.map((s) => {
      const aggregated = s.name === 'Aggregated' && s.method === '';
      const tr = row(s, STAT_COLUMNS, {
        'data-testid': aggregated ? 'stats-aggregated' : 'stats-row',
        'data-name': s.name,
        class: aggregated ? 'aggregated' : '',
      });
      if (s.num_failures > 0) tr.querySelector('[data-col="num_failures"]').classList.add('bad');
      return tr;
    });
    $('stats-body').replaceChildren(...stats);
    const failures = doc.errors.map((f) => row(f, FAILURE_COLUMNS, { 'data-testid': 'failure-row' }));
    $('failures-body').replaceChildren(...failures);
  }

  /** Current ratio (Locust's tab): the users of each class now, and their share of all users. */
  function renderRatio(doc) {
    const entries = Object.entries(doc.users_by_class ?? {});
    const total = entries.reduce((sum, [, n]) => sum + n, 0);
    const rows = entries.map(([name, users]) =>
      row(
        { name, users, share: total > 0 ? (users / total) * 100 : 0 },
        [
          ['name', String],
          ['users', String],
          ['share', percent],
        ],
        { 'data-testid': 'ratio-row', 'data-name': name },
      ),
    );
    $('ratio-body').replaceChildren(...rows);
  }

  /** Exceptions raised by user code: fetched from /exceptions only when their count changes. */
  let exceptionCount = 0;
  async function renderExceptions(doc) {
    if (doc.exception_count === exceptionCount) return;
    exceptionCount = doc.exception_count;
    const res = await fetch('/exceptions', { cache: 'no-store' });
    const body = await res.json();
    const rows = body.exceptions.map((e) => {
      const tr = row(
        e,
        [
          ['count', String],
          ['msg', String],
        ],
        { 'data-testid': 'exception-row' },
      );
      const td = document.createElement('td');
      const pre = document.createElement('pre');
      pre.textContent = e.traceback;
      td.append(pre);
      tr.append(td);
      return tr;
    });
    $('exceptions-body').replaceChildren(...rows);
  }

  /** Whether a poll saw the test running (through 'stopping'): its end is said once. */
  let seenLive = false;
  function renderStatus(doc) {
    const live = doc.state === 'spawning' || doc.state === 'running';
    // a test that ends by itself (run time, another tab's Stop) must not keep "Swarming started"
    if (live) seenLive = true;
    else if (seenLive && doc.state === 'stopped') {
      seenLive = false;
      say('Test stopped', false);
    }
    document.body.dataset.state = doc.state;
    $('status-state').textContent = doc.state;
    $('status-host').textContent = doc.host;
    $('status-users').textContent =
      doc.user_count === doc.target_user_count || !live
        ? String(doc.user_count)
        : `${doc.user_count} / ${doc.target_user_count}`;
    $('status-rps').textContent = doc.total_rps.toFixed(1);
    $('status-fails').textContent = `${Math.round(doc.fail_ratio * 100)}%`;
    $('start').textContent = live ? 'Update' : 'Start';
    $('stop').disabled = !live;
    $('host').disabled = live;
    $('run-time').disabled = live;
  }

  /** --class-picker: one checkbox per class in the file, built once; locked while a test runs. */
  let pickerBuilt = false;
  function renderClassPicker(doc) {
    const box = $('class-picker');
    if (!doc.class_picker) return;
    if (!pickerBuilt) {
      const items = doc.available_classes.map((name) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.name = 'user_classes';
        input.value = name;
        input.checked = doc.user_classes.includes(name);
        input.dataset.testid = `class-${name}`;
        label.append(input, document.createTextNode(` ${name}`));
        return label;
      });
      box.replaceChildren(box.querySelector('legend'), ...items);
      box.hidden = false;
      $('class-list').hidden = true;
      pickerBuilt = true;
    }
    box.disabled = doc.state === 'spawning' || doc.state === 'running';
  }

  /** --master: the Workers table and the header's count (absent otherwise, as in Locust). */
  function renderWorkers(doc) {
    const distributed = Array.isArray(doc.workers);
    $('workers-section').hidden = !distributed;
    $('status-workers-item').hidden = !distributed;
    if (!distributed) return;
    $('status-workers').textContent = String(doc.worker_count);
    $('master-cpu').textContent = percent(doc.master_cpu_usage);
    $('master-memory').textContent = megabytes(doc.master_memory_usage);
    const rows = doc.workers.map((w) => {
      const tr = row(w, WORKER_COLUMNS, {
        'data-testid': 'worker-row',
        'data-id': w.id,
        'data-state': w.state,
        class: w.state === 'missing' ? 'missing' : '',
      });
      if (w.reason) tr.title = w.reason;
      if (w.cpu_usage > 90) tr.querySelector('[data-col="cpu_usage"]').classList.add('bad');
      return tr;
    });
    $('workers-body').replaceChildren(...rows);
  }

  function render(doc) {
    renderStatus(doc);
    renderWorkers(doc);
    renderClassPicker(doc);
    renderTables(doc);
    renderRatio(doc);
    void renderExceptions(doc);
    renderCharts(doc.history);
  }

  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.classList.toggle('error', Boolean(isError));
  }

  // Polling: one request at a time; an action asks for an immediate poll.
  let timer = 0;
  let inFlight = false;
  let again = false;
  let lost = false;

  async function poll() {
    clearTimeout(timer);
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const res = await fetch('/stats/requests', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(await res.json());
      if (lost) say('Reconnected', false);
      lost = false;
    } catch (e) {
      lost = true;
      say(`Cannot reach the swarm: ${e.message}`, true);
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        void poll();
      } else timer = setTimeout(poll, POLL_MS);
    }
  }

  async function act(url, init) {
    try {
      const res = await fetch(url, init);
      const body = await res.json();
      say(body.message, !body.success);
    } catch (e) {
      say(`Request failed: ${e.message}`, true);
    }
    void poll();
  }

  $('swarm-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    // a form sends no field for unticked boxes: with none ticked, the server would run the
    // classes it has, not none (a running test's picker is disabled and sends nothing anyway)
    const picker = $('class-picker');
    if (!picker.hidden && !picker.disabled && !picker.querySelector('input:checked')) {
      say('Invalid swarm: tick at least one user class', true);
      return;
    }
    const body = new URLSearchParams(new FormData(ev.target));
    void act('/swarm', { method: 'POST', body });
  });
  // an error is about the values sent: once they are edited it no longer applies (and must not
  // sit next to the browser's own message about another field)
  $('swarm-form').addEventListener('input', () => {
    if ($('message').classList.contains('error')) say('', false);
  });
  $('stop').addEventListener('click', () => void act('/stop'));
  $('reset').addEventListener('click', () => void act('/stats/reset'));

  void poll();
})();
