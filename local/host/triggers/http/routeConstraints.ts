/** ASP.NET Core inline route constraints, as Functions routes use them ({id:int}, {name:alpha} …). */
export type RouteConstraint = (value: string) => boolean;

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const GUID = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function integerWithin(min: number, max: number): RouteConstraint {
  return (value) => /^[+-]?\d+$/.test(value) && Number(value) >= min && Number(value) <= max;
}

function numberArgs(name: string, args: string[], count: number): number[] {
  const numbers = args.map(Number);
  if (args.length !== count || numbers.some((n) => !Number.isFinite(n))) {
    throw new Error(`the route constraint '${name}' takes ${count} number${count > 1 ? 's' : ''}`);
  }
  return numbers;
}

/** Builds a constraint from its name and arguments, e.g. ('range', ['1', '10']); throws for unknown ones. */
export function createConstraint(name: string, args: string[]): RouteConstraint {
  switch (name.toLowerCase()) {
    case 'int':
      return integerWithin(INT32.min, INT32.max);
    case 'long':
      return integerWithin(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'bool':
      return (value) => /^(true|false)$/i.test(value);
    case 'guid':
      return (value) => GUID.test(value);
    case 'datetime':
      return (value) => !Number.isNaN(Date.parse(value));
    case 'decimal':
    case 'double':
    case 'float':
      return (value) => NUMBER.test(value);
    case 'alpha':
      return (value) => /^[a-z]*$/i.test(value);
    case 'required':
      return (value) => value.length > 0;
    case 'minlength': {
      const [min] = numberArgs(name, args, 1);
      return (value) => value.length >= min;
    }
    case 'maxlength': {
      const [max] = numberArgs(name, args, 1);
      return (value) => value.length <= max;
    }
    case 'length': {
      const bounds = numberArgs(name, args, args.length === 2 ? 2 : 1);
      const [min, max] = bounds.length === 2 ? bounds : [bounds[0], bounds[0]];
      return (value) => value.length >= min && value.length <= max;
    }
    case 'min': {
      const [min] = numberArgs(name, args, 1);
      return (value) => /^[+-]?\d+$/.test(value) && Number(value) >= min;
    }
    case 'max': {
      const [max] = numberArgs(name, args, 1);
      return (value) => /^[+-]?\d+$/.test(value) && Number(value) <= max;
    }
    case 'range': {
      const [min, max] = numberArgs(name, args, 2);
      return integerWithin(min, max);
    }
    case 'regex': {
      // ASP.NET matches these case-insensitively, against the whole value only if the pattern anchors.
      const pattern = new RegExp(args.join(','), 'i');
      return (value) => pattern.test(value);
    }
    default:
      throw new Error(`unknown route constraint '${name}'`);
  }
}
