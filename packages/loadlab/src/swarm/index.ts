/**
 * What a user file imports (`@tickstorm/loadlab/swarm`): the user classes, task weights,
 * wait_time helpers, the load shape, Locust's control exceptions (StopUser, StopTest,
 * RescheduleTask, RescheduleTaskImmediately), and the HTTP session's types. Kept light: a worker
 * thread imports it once per user file.
 */
export type { HttpResponse, RequestOptions } from './http-session.ts';
export { HttpSession } from './http-session.ts';
export { RequestHook, type RequestHookListener, type RequestInfo } from './request-hook.ts';
export { TaskSet, type TaskSetClass } from './task-set.ts';
export { EventHook, events, type TestListener } from './test-events.ts';
export {
  type CustomRequest,
  filterTasks,
  HttpUser,
  LoadTestShape,
  type ShapeTick,
  type TaskFilter,
  TaskPicker,
  tag,
  tasks,
  User,
  type UserClass,
  type UserContext,
} from './user.ts';
export {
  InterruptTaskSet,
  RescheduleTask,
  RescheduleTaskImmediately,
  StopTest,
  StopUser,
  type UserEnvironment,
} from './user-control.ts';
export * from './wait-time.ts';
