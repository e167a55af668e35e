#!/usr/bin/env node
console.log("leaky-cli 1.0.0");
//# sourceMappingURL=cli.js.map
