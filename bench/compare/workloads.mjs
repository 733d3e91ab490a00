// The workloads of bench/compare.sh: one ASL definition and one input each, given
// unchanged to stepflow and to the reference interpreter (aws-local-stepfunctions).
//
// Every payload stays under the 256 KiB state-data limit that stepflow enforces as
// AWS does (States.DataLimitExceeded): the Map workloads return small per-item
// results, and the nested Map summarises each inner Map with ResultSelector.
// Only features both engines implement the same way are used: Pass with Parameters /
// OutputPath, intrinsics (States.MathAdd, States.ArrayRange, States.ArrayLength,
// States.ArrayGetItem), Choice NumericLessThan, inline Map with ItemSelector and
// $$.Map.Item.*, Parallel. A Pass's Result is always a non-empty object (the reference
// ignores a falsy Result).

const range = (n) => Array.from({ length: n }, (_, i) => i);

// Full sizes; --short divides them (see sizes()).
export function sizes(short) {
  return short
    ? { passStates: 10, loopIterations: 1000, mapItems: 100, outer: 10, inner: 100, branches: 8, branchStates: 10 }
    : { passStates: 1000, loopIterations: 100000, mapItems: 10000, outer: 100, inner: 1000, branches: 8, branchStates: 100 };
}

// A chain of `n` Pass states named `${prefix}0..n-1`, each doing a little JSON work:
// Parameters with a constant, two paths and an intrinsic.
function passChain(n, prefix, tag) {
  const states = {};
  for (let k = 0; k < n; k++) {
    const state = {
      Type: 'Pass',
      Parameters: {
        tag,
        step: k,
        'prev.$': '$.step',
        'sum.$': 'States.MathAdd($.sum, 1)',
        'data.$': '$.data',
      },
    };
    if (k + 1 < n) state.Next = `${prefix}${k + 1}`;
    else state.End = true;
    states[`${prefix}${k}`] = state;
  }
  return { StartAt: `${prefix}0`, States: states };
}

const chainInput = () => ({
  step: -1,
  sum: 0,
  data: { name: 'stepflow-bench', flags: [true, false, null], nested: { a: 1, b: [1, 2, 3], c: 'x' } },
});

function chainOutput(n, tag) {
  return { tag, step: n - 1, prev: n - 2, sum: n, data: chainInput().data };
}

export function workloads(short) {
  const s = sizes(short);
  const list = [];

  // 1. Pass chain.
  {
    const n = s.passStates;
    list.push({
      name: 'pass_chain',
      label: `Pass chain, ${n.toLocaleString('en-US')} states`,
      definition: { Comment: 'bench: Pass chain', ...passChain(n, 'P', 'chain') },
      input: chainInput(),
      expected: chainOutput(n, 'chain'),
      transitions: n,
    });
  }

  // 2. Choice loop with States.MathAdd.
  {
    const n = s.loopIterations;
    list.push({
      name: 'choice_loop',
      label: `Choice loop, ${n.toLocaleString('en-US')} iterations`,
      definition: {
        Comment: 'bench: Choice loop',
        StartAt: 'Increment',
        States: {
          Increment: {
            Type: 'Pass',
            Parameters: { 'i.$': 'States.MathAdd($.i, 1)', 'n.$': '$.n' },
            Next: 'Check',
          },
          Check: {
            Type: 'Choice',
            Choices: [{ Variable: '$.i', NumericLessThan: n, Next: 'Increment' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      input: { i: 0, n },
      expected: { i: n, n },
      transitions: 2 * n + 1,
    });
  }

  // 3. Inline Map over `mapItems` numbers, two Pass states per item.
  {
    const n = s.mapItems;
    const items = range(n);
    list.push({
      name: 'map',
      label: `Map, ${n.toLocaleString('en-US')} items`,
      definition: {
        Comment: 'bench: Map',
        StartAt: 'Map',
        States: {
          Map: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 0,
            ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Add',
              States: {
                Add: { Type: 'Pass', Parameters: { 's.$': 'States.MathAdd($.v, $.i)' }, Next: 'Unwrap' },
                Unwrap: { Type: 'Pass', OutputPath: '$.s', End: true },
              },
            },
            ResultPath: '$.results',
            End: true,
          },
        },
      },
      input: { items },
      expected: { items, results: items.map((v) => 2 * v) },
      transitions: 1 + 2 * n,
    });
  }

  // 4. Nested Map: `outer` items, each an inner Map over `inner` items built with
  // States.ArrayRange; each inner Map is summarised by ResultSelector.
  {
    const { outer, inner } = s;
    list.push({
      name: 'nested_map',
      label: `nested Map, ${outer} x ${inner.toLocaleString('en-US')}`,
      definition: {
        Comment: 'bench: nested Map',
        StartAt: 'Outer',
        States: {
          Outer: {
            Type: 'Map',
            ItemsPath: '$.outer',
            MaxConcurrency: 0,
            ItemSelector: { 'o.$': '$$.Map.Item.Value' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'MakeInner',
              States: {
                MakeInner: {
                  Type: 'Pass',
                  Parameters: { 'o.$': '$.o', 'inner.$': `States.ArrayRange(1, ${inner}, 1)` },
                  Next: 'Inner',
                },
                Inner: {
                  Type: 'Map',
                  ItemsPath: '$.inner',
                  MaxConcurrency: 0,
                  ItemSelector: { 'o.$': '$.o', 'v.$': '$$.Map.Item.Value' },
                  ItemProcessor: {
                    ProcessorConfig: { Mode: 'INLINE' },
                    StartAt: 'Add',
                    States: {
                      Add: { Type: 'Pass', Parameters: { 'x.$': 'States.MathAdd($.o, $.v)' }, OutputPath: '$.x', End: true },
                    },
                  },
                  ResultSelector: {
                    'count.$': 'States.ArrayLength($)',
                    'first.$': 'States.ArrayGetItem($, 0)',
                    'last.$': `States.ArrayGetItem($, ${inner - 1})`,
                  },
                  ResultPath: '$.summary',
                  OutputPath: '$.summary',
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      input: { outer: range(outer) },
      expected: range(outer).map((o) => ({ count: inner, first: o + 1, last: o + inner })),
      transitions: 1 + outer * (2 + inner),
    });
  }

  // 5. Parallel: `branches` branches, each a chain of `branchStates` Pass states.
  {
    const { branches, branchStates } = s;
    list.push({
      name: 'parallel',
      label: `Parallel, ${branches} x ${branchStates} Pass`,
      definition: {
        Comment: 'bench: Parallel',
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Parallel',
            Branches: range(branches).map((b) => passChain(branchStates, `B${b}_`, `branch${b}`)),
            End: true,
          },
        },
      },
      input: chainInput(),
      expected: range(branches).map((b) => chainOutput(branchStates, `branch${b}`)),
      transitions: 1 + branches * branchStates,
    });
  }
  return list;
}
