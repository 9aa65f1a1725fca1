// Reads GIFT on standard input and prints gift-pegjs's parse of it as JSON.
const { parse } = require("gift-pegjs");
let text = "";
process.stdin.on("data", (chunk) => { text += chunk; });
process.stdin.on("end", () => { process.stdout.write(JSON.stringify(parse(text))); });
