import type { BenchResults, Run } from './main';

const fmt = (value: number | undefined, digits = 0) => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

function runTable(runs: Run[], base: number | undefined, baseName: string): string[] {
  const lines = [`| Path | req/s | p50 ms | p99 ms | non-2xx / errors | req/s vs ${baseName} |`, '|---|---:|---:|---:|---:|---:|'];
  for (const run of runs) lines.push(`| ${run.name}${run.note ? ` (${run.note})` : ''} | ${fmt(run.requestsPerSecond)} | ${fmt(run.p50Ms)} | ${fmt(run.p99Ms)} | ${run.non2xx} / ${run.errors} | ${ratio(run.requestsPerSecond, base)} |`);
  return lines;
}

/** bench/RESULTS.md: the tables and a short reading, all from one run. */
export function writeReport(results: BenchResults): string {
  const find = (runs: Run[], name: string) => runs.find((run) => run.name === name);
  const gw = find(results.gateway.runs, 'X gateway');
  const edgeGw = find(results.gateway.runs, 'X edge + gateway');
  const twoGw = find(results.gateway.runs, 'X edge + 2 gateway replicas');
  const hive = find(results.gateway.runs, 'Hive Gateway');
  const hiveRust = find(results.gateway.runs, 'Hive Gateway + Rust planner (router-runtime)');
  const floor = results.gateway.subgraphFloor;
  const upstream = find(results.edge.runs, 'upstream alone (node:http)');
  const nginx = find(results.edge.runs, 'nginx (keep-alive proxy, 1 worker)');
  const xEdge = find(results.edge.runs, 'X edge (JWT + rate limiting)');
  const out: string[] = [];
  out.push('# X benchmarks', '');
  out.push(
    `One run of \`npm run bench\` (${results.startedAt} → ${results.finishedAt ?? '?'}), ${results.machine.cpus} cores (${results.machine.model}), Node ${results.machine.node}, load average at start ${results.machine.loadAverageAtStart.join(' / ')}. ` +
      `autocannon, ${results.settings.connections} connections, ${results.settings.seconds} s per row after a 1 s warm-up; services in NODE_ENV=${results.settings.nodeEnv}. ` +
      `Code: ${results.code.commit}${results.code.uncommitted.length ? ` plus uncommitted changes to ${results.code.uncommitted.join(', ')}` : ''}. ` +
      'The machine is shared with other engineers running tests, so absolute figures move by tens of percent between runs: **read the ratios**, each taken against a baseline measured in this same run. Raw figures: [results.json](results.json).',
    '',
  );

  out.push('## 1. Gateway overhead: a store with its categories and 20 picks (store, store-categories, picks)', '');
  out.push(...runTable(results.gateway.runs, gw?.requestsPerSecond, 'X gateway'));
  if (floor) out.push(`| **floor**: the plan's three subgraph calls (capacity 1/Σ(1/req/s); latency store + max(categories, picks)) | ${fmt(floor.requestsPerSecond)} | ${fmt(floor.p50Ms)} | ${fmt(floor.p99Ms)} | | ${ratio(floor.requestsPerSecond, gw?.requestsPerSecond)} |`);
  for (const skipped of results.gateway.skipped) out.push('', `Not measured: ${skipped}`);
  if (results.gateway.deepRuns.length) {
    const deepX = find(results.gateway.deepRuns, 'X gateway');
    out.push('', '### Deeply nested query (the shape of The Guild\'s federation benchmark: lists whose fields come from other subgraphs, three levels deep)', '');
    out.push(...runTable(results.gateway.deepRuns, deepX?.requestsPerSecond, 'X gateway'));
  }
  out.push('');

  out.push('## 2. Edge cost: a small authenticated POST to a tiny node:http upstream', '');
  out.push(...runTable(results.edge.runs, nginx?.requestsPerSecond, 'nginx'));
  for (const skipped of results.edge.skipped) out.push('', `Not measured: ${skipped}`);
  out.push('');

  if (results.events) {
    const { floor: ev, saga } = results.events;
    out.push('## 3. Event latency: one saga step (order placed → picks reserves → order confirmed)', '');
    out.push('Orders of one line each, round-robin over the store\'s 20 picks, placed through the gateway at a steady rate; a tap queue bound to the platform\'s exchange timestamps each event as it arrives.', '');
    out.push('| What | p50 ms | p99 ms | samples | p50 vs floor | p99 vs floor |', '|---|---:|---:|---:|---:|---:|');
    out.push(`| amqplib publish → consume (confirm channel, persistent, noDelay) | ${fmt(ev.amqpRoundTrip.p50Ms, 2)} | ${fmt(ev.amqpRoundTrip.p99Ms, 2)} | ${ev.amqpRoundTrip.samples} | | |`);
    out.push(`| MariaDB single-row INSERT + COMMIT | ${fmt(ev.mysqlCommit.p50Ms, 2)} | ${fmt(ev.mysqlCommit.p99Ms, 2)} | ${ev.mysqlCommit.samples} | | |`);
    out.push(`| **floor**: 2 round trips + 3 commits (drawn from the samples above) | ${fmt(ev.sagaStepFloor.p50Ms, 2)} | ${fmt(ev.sagaStepFloor.p99Ms, 2)} | | 1× | 1× |`);
    for (const step of saga) {
      out.push(
        `| saga step at ${step.ratePerSecond} orders/s: placed seen on the exchange → confirmed seen (${step.ordersConfirmed}/${step.ordersPlaced} confirmed, ${step.ordersRejected} rejected, ${step.placeOrderErrors} placeOrder errors) | ${fmt(step.placedToConfirmed.p50Ms, 1)} | ${fmt(step.placedToConfirmed.p99Ms, 1)} | ${step.placedToConfirmed.samples} | ${ratio(step.placedToConfirmed.p50Ms, ev.sagaStepFloor.p50Ms)} | ${ratio(step.placedToConfirmed.p99Ms, ev.sagaStepFloor.p99Ms)} |`,
      );
      out.push(`| … of which the picks leg: placed seen → picks.stock.reserved seen | ${fmt(step.placedToReserved.p50Ms, 1)} | ${fmt(step.placedToReserved.p99Ms, 1)} | ${step.placedToReserved.samples} | | |`);
      out.push(`| … and the order leg: reserved seen → confirmed seen | ${fmt(step.reservedToConfirmed.p50Ms, 1)} | ${fmt(step.reservedToConfirmed.p99Ms, 1)} | ${step.reservedToConfirmed.samples} | | |`);
      out.push(`| … placeOrder through the gateway, request → answer | ${fmt(step.placeOrderResponse.p50Ms, 1)} | ${fmt(step.placeOrderResponse.p99Ms, 1)} | ${step.placeOrderResponse.samples} | | |`);
      out.push(`| … the same from the placeOrder request to the gateway | ${fmt(step.mutationToConfirmed.p50Ms, 1)} | ${fmt(step.mutationToConfirmed.p99Ms, 1)} | ${step.mutationToConfirmed.samples} | ${ratio(step.mutationToConfirmed.p50Ms, ev.sagaStepFloor.p50Ms)} | ${ratio(step.mutationToConfirmed.p99Ms, ev.sagaStepFloor.p99Ms)} |`);
    }
    out.push('');
    out.push('Where the machine\'s CPU went during each rate (cores busy, 1 = one core throughout; the load generator and anything else on the machine not counted):', '');
    const names = [...new Set(saga.flatMap((step) => Object.keys(step.cpu ?? {})))].filter((name) => saga.some((step) => (step.cpu?.[name] ?? 0) >= 0.05));
    out.push(`| orders/s | ${names.join(' | ')} | total |`, `|---:|${names.map(() => '---:').join('|')}|---:|`);
    for (const step of saga) {
      const cpu = step.cpu ?? {};
      out.push(`| ${step.ratePerSecond} | ${names.map((name) => fmt(cpu[name], 2)).join(' | ')} | ${fmt(Object.values(cpu).reduce((sum, share) => sum + share, 0), 2)} |`);
    }
    out.push('');
  }

  if (results.throughput) {
    const t = results.throughput;
    const c = t.capacity;
    out.push('## 4. Capacity: orders through the edge, each driven to DELIVERED', '');
    out.push(
      `${t.customers} customers place one-line orders at a steady rate through X's edge (kong.yml as rendered, rate limits raised out of reach); the store owner's and four couriers' apps react to the events they would be notified of (confirmed → accept, mark ready; delivery requested → claim, pick up, deliver), all through the edge. Clients retry only what the platform calls retryable (SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS, a dropped connection). ` +
        `The rate steps up until a run misses a limit (p99 placed → DELIVERED over ${fmt(c.limits.p99PlacedToDeliveredMs / 1000)} s, an order shed, lost or rejected, a drain over ${fmt(c.limits.drainSeconds)} s); the highest rate that held runs again for ${t.placingSeconds} s to confirm it.`,
      '',
    );
    out.push('| orders/s | seconds | placed | DELIVERED | lost | p50 / p99 placed → DELIVERED | drain | CPU ms per order | result |', '|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const cpuPerOrder = (run: (typeof c.steps)[number]) => (run.figures?.ordersDelivered ? fmt((1000 * Object.values(run.cpuSeconds).reduce((sum, used) => sum + used, 0)) / run.figures.ordersDelivered, 1) : '–');
    for (const run of [...c.steps, ...(c.confirmed ? [c.confirmed] : [])]) {
      const f = run.figures;
      out.push(`| ${run.ratePerSecond} | ${run.seconds} | ${f?.ordersPlaced ?? '–'} | ${f?.ordersDelivered ?? '–'} | ${f?.ordersLost ?? '–'} | ${f ? `${fmt(f.placedToDelivered.p50Ms / 1000, 2)} s / ${fmt(f.placedToDelivered.p99Ms / 1000, 2)} s` : '–'} | ${f ? `${fmt(f.drainSeconds, 1)} s` : '–'} | ${cpuPerOrder(run)} | ${run.missed ? `missed: ${run.missed.replace(/\|/g, '/')}` : 'held'} |`);
    }
    out.push('', `**Sustained: ${t.maxSustainedPerSecond} orders/s** (${fmt(t.maxSustainedPerSecond / Math.max(1, results.machine.cpus), 1)} per core); CPU per delivered order **${fmt(t.cpuMsPerOrder, 1)} ms**, all X processes plus MariaDB, RabbitMQ and Redis.`, '');
    out.push('The confirming run in detail:', '');
    out.push('| Figure | Value |', '|---|---:|');
    out.push(`| orders placed | ${t.ordersPlaced} |`, `| orders DELIVERED (seen as order.order.delivered) | ${t.ordersDelivered} |`, `| DELIVERED in order's database (this run's orders) | ${t.deliveredInDatabase} |`);
    out.push(`| orders lost (placed, never delivered nor rejected) | **${t.ordersLost}** |`, `| orders rejected | ${t.ordersRejected} |`);
    out.push(`| placed per second while placing | ${fmt(t.placedPerSecond, 1)} |`, `| delivered per second, first placement → last delivery | ${fmt(t.deliveredPerSecond, 1)} |`);
    out.push(`| drain: placing stopped → last order DELIVERED | ${fmt(t.drainSeconds, 1)} s |`);
    out.push(`| placeOrder → DELIVERED, p50 / p99 | ${fmt(t.placedToDelivered.p50Ms / 1000, 2)} s / ${fmt(t.placedToDelivered.p99Ms / 1000, 2)} s |`);
    out.push(`| requests through the edge (all roles) | ${t.requests} |`);
    out.push(`| retried errors | ${Object.entries(t.retriedErrors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none'} |`, '');
    if (t.cpuMsPerOrderByProcess) {
      out.push('CPU per delivered order by process (ms; cores busy during the run beside it):', '', '| Process | ms per order | cores |', '|---|---:|---:|');
      for (const [name, ms] of Object.entries(t.cpuMsPerOrderByProcess).sort(([, a], [, b]) => b - a)) out.push(`| ${name} | ${fmt(ms, 1)} | ${fmt(t.cpu[name], 2)} |`);
      out.push(`| **total** | **${fmt(t.cpuMsPerOrder, 1)}** | ${fmt(Object.values(t.cpu).reduce((sum, share) => sum + share, 0), 2)} |`, '');
    }
    if (t.cpuMsPerOrderByKind) {
      out.push("By kind of work (every X process profiled over a run at the sustained rate; each process's share of a kind applied to its CPU per order):", '', '| Work | ms per order |', '|---|---:|');
      for (const [kind, ms] of Object.entries(t.cpuMsPerOrderByKind)) if (ms >= 0.1) out.push(`| ${kind} | ${fmt(ms, 1)} |`);
      out.push('');
    }
    out.push('Outbox lag and queue depth in the confirming run, sampled every second (peaks):', '');
    out.push('| Service | unsent outbox rows | oldest unsent (s) | consumer queue depth |', '|---|---:|---:|---:|');
    for (const service of [...new Set([...Object.keys(t.outboxPeak), ...Object.keys(t.queuePeak)])]) {
      out.push(`| ${service} | ${t.outboxPeak[service]?.rows ?? '–'} | ${fmt(t.outboxPeak[service]?.oldestSeconds, 2)} | ${t.queuePeak[service] ?? '–'} |`);
    }
    out.push('');
  }

  if (results.footprint) {
    const fp = results.footprint;
    out.push('## 5. Footprint', '');
    out.push(`- Start to ready (provision databases, apply migrations, start ${fp.processes.length} processes and wait for each /ready, build not included): **${fmt(fp.startToReadyMs / 1000, 1)} s** (with a second gateway replica started too).`);
    out.push(`- Resident memory of the platform after seeding (sum of RSS of its ${fp.processes.length} node processes, one gateway): **${fmt(fp.rssMiB)} MiB**, ${fmt(fp.rssMiB / Math.max(1, fp.processes.length))} MiB per process on average. MariaDB, Redis and RabbitMQ are not counted.`, '');
  }
  if (results.memory) {
    const m = results.memory;
    out.push(`After the capacity runs: **${fmt(m.totalMiB)} MiB** in ${Object.keys(m.processes).length} processes. Where each one's memory goes (MiB):`, '');
    out.push('| Process | RSS | mapped files (code, shared) | anonymous | V8 heap total / used | of which new space | code space | external (Buffers) | native (Wasm, malloc, stacks) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, p] of Object.entries(m.processes).sort(([, a], [, b]) => b.rssMiB - a.rssMiB)) {
      out.push(`| ${name} | ${fmt(p.rssMiB)} | ${fmt(p.fileMiB)} | ${fmt(p.anonMiB)} | ${fmt(p.heapTotalMiB)} / ${fmt(p.heapUsedMiB)} | ${fmt(p.newSpaceMiB, 1)} | ${fmt(p.codeSpaceMiB, 1)} | ${fmt(p.externalMiB, 1)} | ${fmt(p.nativeMiB)} |`);
    }
    out.push('');
  }

  for (const [which, profile] of Object.entries(results.profiles)) {
    if (!profile) continue;
    out.push(`## 6${which === 'gateway' ? 'a' : 'b'}. Where the ${which} spends its CPU (--cpu-prof, under the federated query's load as in section 1, start-up and warm-up left out)`, '');
    out.push(`Self time by area (${profile.samples} samples; [${profile.file}](${profile.file}) opens in Chrome DevTools, not committed):`, '');
    out.push('By kind of work (across packages):', '', '| Work | % of CPU |', '|---|---:|', ...profile.work.map((w) => `| ${w.kind} | ${w.percent} |`), '');
    out.push('By package:', '');
    out.push('| Area | % of CPU |', '|---|---:|', ...profile.areas.map((a) => `| ${a.area} | ${a.percent} |`), '');
    out.push('Top functions by self time:', '', '| Function | Area | % |', '|---|---|---:|', ...profile.functions.map((f) => `| \`${f.name}\` | ${f.area} | ${f.percent} |`), '');
  }

  out.push('## Reading', '');
  const reading: string[] = [];
  if (gw && floor) reading.push(`X's gateway serves ${ratio(gw.requestsPerSecond, floor.requestsPerSecond)} of what the subgraphs alone could serve for the same answer (floor ${fmt(floor.requestsPerSecond)} req/s, gateway ${fmt(gw.requestsPerSecond)} req/s); the gateway and the subgraphs share the same two cores, so every cycle it spends is taken from them.`);
  if (gw && floor && gw.requestsPerSecond > floor.requestsPerSecond)
    reading.push('The gateway beats that floor because all 50 connections send the same query: its fetcher merges identical subgraph fetches in flight, so the subgraphs answer far fewer calls than the gateway answers requests (Hive Gateway\'s Rust planner does the same by default). With distinct queries the floor would bind.');
  if (gw && hive) reading.push(`Against Hive Gateway on the same supergraph and subgraphs, X's gateway does ${ratio(gw.requestsPerSecond, hive.requestsPerSecond)} its throughput${hiveRust ? ` and ${ratio(gw.requestsPerSecond, hiveRust.requestsPerSecond)} that of Hive Gateway with its Rust planner` : ''}.`);
  const deepX = find(results.gateway.deepRuns, 'X gateway');
  const deepHive = find(results.gateway.deepRuns, 'Hive Gateway');
  const deepRust = find(results.gateway.deepRuns, 'Hive Gateway + Rust planner (router-runtime)');
  if (deepX && (deepHive || deepRust)) reading.push(`On the deeply nested query X's gateway does ${ratio(deepX.requestsPerSecond, deepHive?.requestsPerSecond)} Hive Gateway's throughput and ${ratio(deepX.requestsPerSecond, deepRust?.requestsPerSecond)} that of its Rust planner.`);
  if (gw && edgeGw) reading.push(`Putting X's edge in front keeps ${ratio(edgeGw.requestsPerSecond, gw.requestsPerSecond)} of the gateway's throughput${twoGw ? `; a second gateway replica behind the edge gives ${ratio(twoGw.requestsPerSecond, edgeGw.requestsPerSecond)} of one replica's (two cores, shared with everything else)` : ''}.`);
  if (xEdge && nginx) reading.push(`On a small request X's edge (JWT verify + Redis rate-limit counters + file log) does ${ratio(xEdge.requestsPerSecond, nginx.requestsPerSecond)} of nginx's throughput${upstream ? `; nginx itself keeps ${ratio(nginx.requestsPerSecond, upstream.requestsPerSecond)} of the bare upstream's` : ''}.`);
  if (results.events) {
    const first = results.events.saga[0];
    if (results.events.saga.length > 1)
      reading.push(
        `As the rate grows the step's p50 goes ${results.events.saga.map((step) => `${fmt(step.placedToConfirmed.p50Ms)} ms at ${step.ratePerSecond}/s`).join(', ')} (picks leg ${results.events.saga.map((step) => fmt(step.placedToReserved.p50Ms)).join(' / ')} ms, order leg ${results.events.saga.map((step) => fmt(step.reservedToConfirmed.p50Ms)).join(' / ')} ms, placeOrder answer ${results.events.saga.map((step) => fmt(step.placeOrderResponse.p50Ms)).join(' / ')} ms): where a leg jumps, that service's consumer or the gateway path is saturated on these two cores.`,
      );
    for (const step of results.events.saga) if (step.firstPlaceOrderError) reading.push(`At ${step.ratePerSecond} orders/s, ${step.placeOrderErrors} placeOrder calls failed; the first: ${step.firstPlaceOrderError.slice(0, 200)}`);
    if (first) reading.push(`One saga step at ${first.ratePerSecond} orders/s takes ${ratio(first.placedToConfirmed.p50Ms, results.events.floor.sagaStepFloor.p50Ms)} the floor at p50 and ${ratio(first.placedToConfirmed.p99Ms, results.events.floor.sagaStepFloor.p99Ms)} at p99.`);
  }
  if (results.throughput) {
    const t = results.throughput;
    const deepest = Object.entries(t.queuePeak).sort(([, a], [, b]) => b - a)[0];
    const firstMiss = t.capacity.steps.find((step) => step.missed);
    reading.push(
      `Orders through the edge: ${t.maxSustainedPerSecond} orders/s sustained (${t.ordersDelivered} of ${t.ordersPlaced} DELIVERED in the confirming run, ${t.ordersLost} lost), at ${fmt(t.cpuMsPerOrder, 1)} ms of CPU per order${firstMiss ? `; ${firstMiss.ratePerSecond} orders/s missed (${firstMiss.missed})` : ''}${deepest ? `; the deepest queue was ${deepest[0]}'s (${deepest[1]} messages)` : ''}.`,
    );
  }
  for (const [which, profile] of Object.entries(results.profiles)) {
    if (!profile) continue;
    const top = profile.work.filter((w) => w.kind !== 'other').slice(0, 3);
    reading.push(`Biggest costs in the ${which} profile: ${top.map((w) => `${w.kind} ${w.percent}%`).join('; ')}.`);
  }
  for (const line of results.problems) reading.push(`Problem during this run: ${line}`);
  for (const [process, lines] of Object.entries(results.loggedErrors)) reading.push(`${process} logged errors during the run: ${lines[0]!.replace(/\|/g, '/').slice(0, 300)}`);
  out.push(...reading.map((line) => `- ${line}`), '');
  return `${out.join('\n')}\n`;
}
