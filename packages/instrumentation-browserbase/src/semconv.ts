// SPDX-License-Identifier: Apache-2.0
// Attribute and metric names. `gen_ai.*` are copied from the incubating GenAI semantic conventions
// (never imported from /incubating, which has no stability guarantee); `browserbase.*` and
// `stagehand.*` are ours, because no convention covers hosted browsers yet.

/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
/** @experimental GenAI semantic conventions */
export const ATTR_GEN_AI_USAGE_REASONING_TOKENS = 'gen_ai.usage.reasoning.output_tokens';

export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

export const ATTR_BROWSERBASE_OPERATION = 'browserbase.operation';
export const ATTR_BROWSERBASE_SESSION_ID = 'browserbase.session.id';
export const ATTR_BROWSERBASE_PROJECT_ID = 'browserbase.project.id';
export const ATTR_BROWSERBASE_REGION = 'browserbase.region';
export const ATTR_BROWSERBASE_SESSION_STATUS = 'browserbase.session.status';
export const ATTR_BROWSERBASE_SESSION_KEEP_ALIVE = 'browserbase.session.keep_alive';
export const ATTR_BROWSERBASE_SESSION_TIMEOUT = 'browserbase.session.timeout';
export const ATTR_BROWSERBASE_SESSION_EXPIRES_AT = 'browserbase.session.expires_at';
export const ATTR_BROWSERBASE_SESSION_PROXY_BYTES = 'browserbase.session.proxy_bytes';
export const ATTR_BROWSERBASE_SESSION_END_REASON = 'browserbase.session.end_reason';
export const ATTR_BROWSERBASE_SESSION_DURATION = 'browserbase.session.duration';
export const ATTR_BROWSERBASE_SESSION_COST = 'browserbase.session.cost_usd';
export const ATTR_BROWSERBASE_REQUESTED_STATUS = 'browserbase.session.requested_status';
export const ATTR_BROWSERBASE_LIST_STATUS = 'browserbase.list.status';
export const ATTR_BROWSERBASE_LIST_COUNT = 'browserbase.list.count';
export const ATTR_BROWSERBASE_DEBUGGER_URL = 'browserbase.session.debugger_url';
export const ATTR_BROWSERBASE_REPLAY_URL = 'browserbase.session.replay_url';
export const ATTR_BROWSERBASE_CONNECT_URL = 'browserbase.session.connect_url';
export const ATTR_BROWSERBASE_USER_METADATA = 'browserbase.session.user_metadata';
export const ATTR_BROWSERBASE_COST_TYPE = 'browserbase.cost.type';

export const ATTR_STAGEHAND_OPERATION = 'stagehand.operation';
export const ATTR_STAGEHAND_INSTRUCTION = 'stagehand.instruction.text';
export const ATTR_STAGEHAND_INSTRUCTION_KIND = 'stagehand.instruction.kind';
export const ATTR_STAGEHAND_MODEL_SOURCE = 'stagehand.model.source';
export const ATTR_STAGEHAND_SUCCESS = 'stagehand.success';
export const ATTR_STAGEHAND_ACTION_COUNT = 'stagehand.action_count';
export const ATTR_STAGEHAND_CACHE_STATUS = 'stagehand.cache.status';
export const ATTR_STAGEHAND_INFERENCE_TIME = 'stagehand.inference_time_ms';
export const ATTR_STAGEHAND_BROWSER = 'stagehand.browser';

export const EVENT_SESSION_STUCK = 'browserbase.session.stuck';

export const METRIC_SESSION_ACTIVE = 'browserbase.session.active';
export const METRIC_SESSION_CREATED = 'browserbase.session.created';
export const METRIC_SESSION_FAILED = 'browserbase.session.failed';
export const METRIC_SESSION_DURATION = 'browserbase.session.duration';
export const METRIC_SESSION_COST = 'browserbase.session.cost';
export const METRIC_PROXY_BYTES = 'browserbase.session.proxy.bytes';
export const METRIC_SESSION_STUCK = 'browserbase.session.stuck';
export const METRIC_SESSION_STUCK_CURRENT = 'browserbase.session.stuck.current';
export const METRIC_STAGEHAND_DURATION = 'stagehand.operation.duration';
