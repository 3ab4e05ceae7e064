// One place that turns k6/slo.json and the environment into a suite's options.
const SLO = JSON.parse(open('../slo.json'));

export const BASE_URL = allowedTarget(__ENV.BASE_URL || 'http://127.0.0.1:5000', __ENV.K6_IN_CLUSTER === 'true');
// What the app must do under the replica's fault profiles (replica/stack/profiles.py Expectations).
export const EXPECT = {
  summaryStatus: Number(__ENV.EXPECT_SUMMARY_STATUS || 201),
  transcription: __ENV.EXPECT_TRANSCRIPTION || 'stored', // or 'refused': a retryable error per chunk
  aiLatency: __ENV.EXPECT_AI_LATENCY || 'judged',        // or 'faulted': the AI service is made slow
};
// Fixture users of the loaded data (replica/gate/fixture_users.py: the heaviest first), logged in
// with their one local-only password; [] against a target whose database the gate cannot read.
export const FIXTURE = {
  users: JSON.parse(__ENV.FIXTURE_USERS || '[]'), // [{login, meetings, meeting, segments}, ...]
  password: __ENV.FIXTURE_PASSWORD || '',
};
// Latency that waits on the AI service: not judged while a profile makes that service slow or fail.
const AI_BOUND = ['http_req_duration{endpoint:summary}', 'socketio_segment_latency'];

function thresholds() {
  if (EXPECT.aiLatency === 'judged') return SLO.thresholds;
  return Object.fromEntries(Object.entries(SLO.thresholds).filter(([metric]) => !AI_BOUND.includes(metric)));
}
export const WS_URL = BASE_URL.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket';

// Load only ever goes to this machine, or, in a k6-operator TestRun (K6_IN_CLUSTER=true,
// replica/k8s/k6_testrun.py), to a Service of the runner's own namespace: refuse any other host
// before a single request.
export function allowedTarget(url, inCluster) {
  return inCluster ? namespaceServiceOnly(url) : loopbackOnly(url);
}

// A single-label host (`app`) is a Service name that cluster DNS resolves in the pod's namespace.
export function namespaceServiceOnly(url) {
  if (!/^https?:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(:\d+)?(\/|$)/.exec(url)) {
    throw new Error(`BASE_URL ${url} is not a Service of this namespace (a single-label host like http://app:5000)`);
  }
  return url.replace(/\/+$/, '');
}

export function loopbackOnly(url) {
  const match = /^https?:\/\/(\[::1\]|localhost|127(?:\.\d{1,3}){3})(:\d+)?(\/|$)/.exec(url);
  if (!match) {
    throw new Error(`BASE_URL ${url} is not a loopback address (127.0.0.0/8, localhost, [::1])`);
  }
  return url.replace(/\/+$/, '');
}

// Build the options of one suite: its executor from slo.json, the shared thresholds.
export function optionsFor(suite) {
  const plan = SLO.suites[suite];
  if (!plan) throw new Error(`no suite '${suite}' in k6/slo.json`);
  // graceful_stop: time an iteration under way may take to finish (a busy machine's first journey
  // takes 20 s+: cut off, it would leave no complete iteration to judge)
  const scenario = { executor: plan.executor, gracefulStop: plan.graceful_stop || '10s', exec: 'default' };
  if (plan.executor === 'constant-vus') {
    scenario.vus = plan.vus;
    scenario.duration = plan.duration;
  } else {
    scenario.startVUs = 0;
    scenario.gracefulRampDown = '10s';
    scenario.stages = plan.stages.map(([duration, target]) => ({ duration, target }));
  }
  return {
    scenarios: { [suite]: scenario },
    thresholds: thresholds(),
    noCookiesReset: true,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    setupTimeout: '20s',
    teardownTimeout: '20s',
  };
}
