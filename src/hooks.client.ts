import { z } from 'zod';

// Under the CSP (no 'unsafe-eval') zod's probe for `new Function` is refused, and Chromium reports the refusal as a
// violation even though zod catches it: skip the probe, and its compiled fast path, on devices.
z.config({ jitless: true });
