import type { X12Segment } from '../../types.js';
import { hierarchyStructures } from '../common/qualifiers.js';
import type { SetReader } from '../common/reader.js';

/** One HL level with the segments that follow it up to the next HL (or CTT). */
export type HlNode = {
  hl: X12Segment;
  id: string;
  level: string;
  parent?: HlNode;
  children: HlNode[];
  segments: X12Segment[];
};

export type Hierarchy = {
  header: X12Segment[];
  roots: HlNode[];
  nodes: HlNode[];
  trailer: X12Segment[];
  /** The structure the levels were checked against: BSN05 when known, else inferred from the levels. */
  structure: string;
};

/**
 * Splits the body into the header (before the first HL), the HL nodes and the trailer (CTT on), and
 * links each node to its parent. Integrity findings are diagnostics: HL01 empty, repeated or not
 * increasing (`x12-hl-duplicate-id`), HL02 naming no earlier HL (`x12-hl-orphan-parent`, the node
 * is then kept as a root), a level its parent's level may not contain (`x12-hl-level-order`).
 */
export function buildHierarchy(r: SetReader, body: X12Segment[], structure: string | undefined): Hierarchy {
  const result: Hierarchy = { header: [], roots: [], nodes: [], trailer: [], structure: '0001' };
  const byId = new Map<string, HlNode>();
  let current: HlNode | undefined;
  let previousId: number | undefined;
  for (const s of body) {
    if (s.id === 'CTT' || result.trailer.length > 0) {
      result.trailer.push(s);
    } else if (s.id === 'HL') {
      current = readHl(r, s, byId, previousId);
      if (/^\d+$/.test(current.id)) previousId = Number(current.id);
      result.nodes.push(current);
      if (current.parent) current.parent.children.push(current);
      else result.roots.push(current);
    } else if (current) {
      current.segments.push(s);
    } else {
      result.header.push(s);
    }
  }
  result.structure = structure !== undefined && hierarchyStructures[structure] ? structure : inferStructure(result.nodes);
  checkLevels(r, result.nodes, result.structure);
  return result;
}

/** S/O/I/P when the first pack hangs under an item, S/O/I when there are no packs, else S/O/P/I. */
function inferStructure(nodes: HlNode[]): string {
  const pack = nodes.find((n) => n.level === 'P');
  if (!pack) return nodes.some((n) => n.level === 'I' && n.parent?.level === 'O') ? '0004' : '0001';
  return pack.parent?.level === 'I' ? '0002' : '0001';
}

function readHl(r: SetReader, s: X12Segment, byId: Map<string, HlNode>, previousId: number | undefined): HlNode {
  const id = r.req(s, 1, 'a hierarchical id number') ?? '';
  const level = r.req(s, 3, 'a hierarchical level code such as S, O, P or I') ?? '';
  const node: HlNode = { hl: s, id, level, children: [], segments: [] };
  if (id !== '' && byId.has(id)) {
    r.error('x12-hl-duplicate-id', `HL01 is "${id}" at segment ${s.position}; expected a unique id, but an earlier HL uses it`, s, 1);
  } else if (id !== '' && previousId !== undefined && /^\d+$/.test(id) && Number(id) <= previousId) {
    r.error(
      'x12-hl-duplicate-id',
      `HL01 is "${id}" at segment ${s.position}; expected an id greater than the previous ${previousId}`,
      s,
      1,
    );
  }
  if (id !== '' && !byId.has(id)) byId.set(id, node);
  const parentId = r.opt(s, 2);
  if (parentId !== undefined) {
    const parent = byId.get(parentId);
    if (parent && parent !== node) node.parent = parent;
    else r.error('x12-hl-orphan-parent', `HL02 is "${parentId}" at segment ${s.position}; expected the HL01 of an earlier HL`, s, 2);
  }
  return node;
}

/** Checks each node's level against its parent's under the BSN05 structure (or the default S/O/P/I). */
function checkLevels(r: SetReader, nodes: HlNode[], structure: string): void {
  const order = hierarchyStructures[structure] ?? hierarchyStructures['0001']!;
  for (const node of nodes) {
    if (node.level === '') continue;
    const rank = order.indexOf(node.level);
    if (rank < 0) {
      if (node.level !== 'T') {
        r.error(
          'x12-hl-level-order',
          `HL03 is "${node.level}" at segment ${node.hl.position}; expected one of ${order.join(', ')} for structure ${structure}`,
          node.hl,
          3,
        );
      }
      continue;
    }
    if (!node.parent) {
      if (rank !== 0) {
        r.error(
          'x12-hl-level-order',
          `HL03 is "${node.level}" at segment ${node.hl.position} with no parent; expected the top level ${order[0]}`,
          node.hl,
          3,
        );
      }
      continue;
    }
    const parentRank = node.parent.level === 'T' ? order.indexOf('P') - 0.5 : order.indexOf(node.parent.level);
    if (rank === 0 || parentRank < 0 || rank <= parentRank) {
      r.error(
        'x12-hl-level-order',
        `HL03 is "${node.level}" at segment ${node.hl.position} under a "${node.parent.level}" level; structure ${structure} nests ${order.join(' > ')}`,
        node.hl,
        3,
      );
    }
  }
}
