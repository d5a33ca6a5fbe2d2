// The catalogue's words a page's script says: the page renders them into window.WORDS (key -> [zh, en],
// from the console's one catalogue, words_of), so no script holds a word of its own.
"use strict";
window.WORDS = window.WORDS || {};
// Chinese first with English beside it (apart by `sep`, a space unless told), {names} filled from
// `values`; the English left out when it says the same
function say(key, values, sep) {
  const fill = text => text.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
  const [zh, en] = (window.WORDS[key] || [key, ""]).map(fill);
  return en && en !== zh ? `${zh}${sep === undefined ? " " : sep}${en}` : zh;
}
