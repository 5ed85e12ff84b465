/** Every frame type on the wire, as the value of the frame's `t` field. */
export const FrameType = {
  // client -> hub
  hello: 'hello',
  register: 'register',
  heartbeat: 'heartbeat',
  submit: 'submit',
  submitMany: 'submit_many',
  progress: 'progress',
  complete: 'complete',
  fail: 'fail',
  cancel: 'cancel',
  watch: 'watch',
  drain: 'drain',
  // message bus, client -> hub
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  publish: 'publish',
  request: 'request',
  reply: 'reply',
  msgAck: 'msg_ack',
  send: 'send',
  txn: 'txn',
  flow: 'flow',
  // hub -> client
  welcome: 'welcome',
  registered: 'registered',
  submitted: 'submitted',
  submittedMany: 'submitted_many',
  task: 'task',
  result: 'result',
  ack: 'ack',
  error: 'error',
  // message bus, hub -> client
  message: 'message',
  published: 'published',
  response: 'response',
  committed: 'committed',
  flowSubmitted: 'flow_submitted',
} as const;

export type FrameTypeName = (typeof FrameType)[keyof typeof FrameType];

export const PROTOCOL_VERSION = 1;
