// Loaded by mocha (.mocharc.json) and the benches before any AWS SDK client is built: the SDK prints a 9-line
// "upgrade Node" notice on Node 20 the first time a client is constructed, which says nothing about the code under
// test. bin/phoenix.js does the same for the CLI. Set the variable to "false" to see the notice again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
