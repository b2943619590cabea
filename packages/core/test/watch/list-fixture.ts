/** A small list whose strings hold JSON-significant characters and non-ASCII text: both list parsers' fixture. */
export const list = {
  kind: 'ConfigMapList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'tok"en' },
  items: [
    { metadata: { name: 'a', annotations: { 'x/{[': ']}"\\' } }, data: { k: 'ünïcødé ✓ 🚀', arr: '[1,2]' } },
    { metadata: { name: 'b' }, data: { nested: '{"items":[1]}' }, extra: [{ a: [1, { b: 2 }] }] },
    { metadata: { name: 'c' } },
  ],
};
