// A processor's options (its `options_schema` from /v1/processors) as choices on its card.
// Every options field is a list of values whose default is every value: each becomes a
// list of boxes with "All" ticked, and only a narrowed field is sent (the defaults are
// the same request as no options, so nothing is sent while everything is chosen).
import { el } from "./core.js";

// The values a field offers: its items' enum (through a $ref when pydantic names it),
// else its default list (return periods are numbers without an enum).
function choicesOf(field, schema) {
  let items = field.items || {};
  if (items.$ref) items = schema.$defs?.[items.$ref.split("/").pop()] || {};
  if (Array.isArray(items.enum)) return items.enum;
  return Array.isArray(field.default) ? field.default : [];
}

function words(name) {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Descriptions are Markdown-ish: `code` marks are dropped for a plain hint.
function plain(text) {
  return (text || "").replace(/`/g, "");
}

export function optionFields(version) {
  const schema = version.options_schema || {};
  return Object.entries(schema.properties || {})
    .map(([name, field]) => ({ name, field, choices: choicesOf(field, schema) }))
    .filter(({ choices }) => choices.length > 1);
}

export function optionsBox(version, onChange) {
  const fields = optionFields(version);
  if (!fields.length) return null;
  const id = version.name;
  const groups = fields.map(({ name, field, choices }) => {
    const prefix = `o-${id}-${name}`;
    const all = el("input", { type: "checkbox", id: `${prefix}-all`, checked: "", "data-all": name });
    const boxes = choices.map((value, index) =>
      el("input", {
        type: "checkbox",
        id: `${prefix}-${index}`,
        checked: "",
        "data-option": name,
        "data-value": JSON.stringify(value),
      }),
    );
    all.addEventListener("change", () => {
      for (const box of boxes) box.checked = all.checked;
      onChange();
    });
    for (const box of boxes) {
      box.addEventListener("change", () => {
        all.checked = boxes.every((b) => b.checked);
        onChange();
      });
    }
    const title = field.title || words(name);
    return el(
      "fieldset",
      { class: "option", "data-field": name },
      el("legend", { text: title }),
      field.description ? el("p", { class: "hint", text: plain(field.description) }) : "",
      el(
        "div",
        { class: "choices" },
        el("label", { for: all.id, class: "choice all" }, all, el("span", { text: "All" })),
        ...boxes.map((box, index) => el("label", { for: box.id, class: "choice" }, box, el("span", { text: String(choices[index]) }))),
      ),
    );
  });
  return el(
    "details",
    { class: "options", "data-options-for": id },
    el("summary", { text: "Options: everything" }),
    ...groups,
  );
}

// The options of one processor's card: only the fields narrowed from "All".
export function chosenOptions(card) {
  const box = card.querySelector(".options");
  if (!box) return {};
  const chosen = {};
  for (const fieldset of box.querySelectorAll("fieldset[data-field]")) {
    const name = fieldset.dataset.field;
    const all = fieldset.querySelector(`[data-all="${CSS.escape(name)}"]`);
    if (all.checked) continue;
    chosen[name] = [...fieldset.querySelectorAll("[data-option]:checked")].map((b) => JSON.parse(b.dataset.value));
  }
  const narrowed = Object.keys(chosen).length;
  box.querySelector("summary").textContent = narrowed
    ? `Options: ${Object.entries(chosen)
        .map(([name, values]) => `${words(name).toLowerCase()} ${values.length ? values.join(", ") : "none"}`)
        .join("; ")}`
    : "Options: everything";
  return chosen;
}
