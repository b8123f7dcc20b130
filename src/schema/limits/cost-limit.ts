/**
 * Cost: one per field, and what a list field contains counts LIST_FACTOR times, through
 * fragments. Introspection's lists are small and held in memory, so they count once each
 * (production refuses introspection anyway; in development depth and tokens bound it).
 */
import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isIntrospectionType,
  isListType,
  isObjectType,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { limitError, measureOperation, onEachOperation } from './walk';

/** How many items a list field is assumed to return. */
export const LIST_FACTOR = 10;

export function costLimitRule(maxCost: number): ValidationRule {
  return onEachOperation((operation, context) => {
    const schema = context.getSchema();
    const cost = measureOperation(
      operation,
      context,
      {
        empty: 0,
        add: (a, b) => a + b,
        field: (field, inner, parentTypeName) => {
          const definition = fieldType(schema, parentTypeName, field.name.value);
          if (!field.selectionSet) return 1;
          const childCost = inner(field.selectionSet, definition?.namedType);
          const factor = definition?.isList && !definition.introspection ? LIST_FACTOR : 1;
          return 1 + factor * childCost;
        },
      },
      schema.getRootType(operation.operation)?.name,
    );
    if (cost > maxCost) {
      context.reportError(
        limitError(
          operation,
          'cost',
          cost,
          maxCost,
          `The operation would cost ${cost} (1 per field, ×${LIST_FACTOR} inside list fields); at most ${maxCost} is allowed.`,
        ),
      );
    }
  });
}

function fieldType(
  schema: GraphQLSchema,
  parentTypeName: string | undefined,
  fieldName: string,
): { namedType: string; isList: boolean; introspection: boolean } | undefined {
  const parent = parentTypeName === undefined ? undefined : schema.getType(parentTypeName);
  if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
  // Not an object lookup: a field named "constructor" must not find Object.prototype's.
  const meta =
    parent !== schema.getQueryType()
      ? undefined
      : fieldName === '__schema'
        ? SchemaMetaFieldDef
        : fieldName === '__type'
          ? TypeMetaFieldDef
          : undefined;
  const field = parent.getFields()[fieldName] ?? meta;
  if (!field) return undefined;
  return {
    namedType: getNamedType(field.type).name,
    isList: isListType(getNullableType(field.type)),
    introspection: isIntrospectionType(parent) || meta !== undefined,
  };
}
