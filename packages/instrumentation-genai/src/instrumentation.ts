// SPDX-License-Identifier: Apache-2.0
import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { PACKAGE_NAME, VERSION } from './version.js';

// Placeholder: the real module definitions land with this package's issue.
export class GenAIInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super(PACKAGE_NAME, VERSION, config);
  }

  protected init() {
    return [];
  }
}
