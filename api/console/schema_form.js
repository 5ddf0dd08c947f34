// A form built from an OCPP 1.6 request's JSON schema (draft 4, as served at
// /console/schema-ACTION.json): one labelled field per property, nested
// objects as fieldsets, enums as selects. Arrays of objects have no form of
// their own here: they are a JSON field. The server checks the payload
// against the same schema, so the form only shapes it; its errors are the
// API's.
import { el } from './ui.js';

function labelText(name, required, schema) {
  const hint = schema.format === 'date-time' ? ' (RFC 3339 time)'
    : schema.maxLength ? ` (up to ${schema.maxLength} characters)` : '';
  return `${name}${required ? ' (required)' : ''}${hint}`;
}

// A field for one property: returns {node, read} where read() gives the
// value, or undefined when left empty.
function field(name, schema, required, id) {
  const label = el('label', { for: id }, labelText(name, required, schema));
  if (schema.type === 'object') {
    const part = objectFields(schema, id);
    return {
      node: el('fieldset', { id }, el('legend', {}, labelText(name, required, {})), part.nodes),
      // Left empty, even a required object is left out (the API names what
      // is missing): its required fields would otherwise fill an optional parent.
      read: () => {
        const value = part.read();
        return Object.keys(value).length ? value : undefined;
      },
    };
  }
  if (schema.enum) {
    const select = el('select', { id, name: id },
      el('option', { value: '' }, required ? '(choose)' : '(not set)'),
      schema.enum.map((v) => el('option', { value: v }, v)));
    return { node: el('div', {}, label, select), read: () => select.value || undefined };
  }
  if (schema.type === 'boolean') {
    const select = el('select', { id, name: id }, el('option', { value: '' }, '(not set)'),
      el('option', { value: 'true' }, 'true'), el('option', { value: 'false' }, 'false'));
    return { node: el('div', {}, label, select), read: () => (select.value ? select.value === 'true' : undefined) };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const input = el('input', { id, name: id, type: 'number', step: schema.type === 'integer' ? '1' : 'any' });
    return { node: el('div', {}, label, input), read: () => (input.value === '' ? undefined : Number(input.value)) };
  }
  if (schema.type === 'array' && schema.items && schema.items.type === 'string') {
    const input = el('input', { id, name: id, type: 'text', 'aria-describedby': `${id}-hint` });
    return {
      node: el('div', {}, label, input, el('small', { id: `${id}-hint` }, ' Several values: separate them with commas.')),
      read: () => {
        const values = input.value.split(',').map((v) => v.trim()).filter(Boolean);
        return values.length ? values : undefined;
      },
    };
  }
  if (schema.type === 'array') {
    const area = el('textarea', { id, name: id, rows: '3', spellcheck: 'false', 'aria-describedby': `${id}-hint` });
    return {
      node: el('div', {}, label, area, el('small', { id: `${id}-hint` }, ' A JSON array.')),
      read: () => {
        if (!area.value.trim()) return undefined;
        try {
          return JSON.parse(area.value);
        } catch (error) {
          throw new Error(`${name} is not a JSON array: ${error.message}`);
        }
      },
    };
  }
  const input = el('input', { id, name: id, type: 'text', maxlength: schema.maxLength,
    placeholder: schema.format === 'date-time' ? new Date().toISOString() : undefined });
  return { node: el('div', {}, label, input), read: () => input.value || undefined };
}

function objectFields(schema, idPrefix) {
  const required = new Set(schema.required || []);
  const parts = Object.entries(schema.properties || {}).map(([name, property]) =>
    ({ name, ...field(name, property, required.has(name), `${idPrefix}-${name}`) }));
  return {
    nodes: parts.map((p) => p.node),
    read: () => {
      const value = {};
      for (const p of parts) {
        const v = p.read();
        if (v !== undefined) value[p.name] = v;
      }
      return value;
    },
  };
}

// {node, read}: the fields of `schema` (a request's root object); read()
// gives the payload or throws an Error saying which field is wrong.
export function schemaForm(schema, idPrefix) {
  const part = objectFields(schema, idPrefix);
  const node = el('div', { class: 'schema-form' },
    part.nodes.length ? part.nodes : el('p', {}, 'This command has no fields.'));
  return { node, read: part.read };
}
