// Failures in plain words first (what happened, what to do), the technical text behind
// a "Details" toggle: the service's messages are written for operators and logs.
import { el } from "./core.js";

// The first pattern a technical text matches says it in plain words; the order matters
// (a source that "timed out" is about the publisher, not the service's set-up).
const KNOWN = [
  {
    test: /not configured|AUTOPKG_[A-Z_]+/,
    what: "This service is not set up to make this dataset.",
    todo: "Leave it out, or ask the people who run this service to set it up.",
  },
  {
    test: /API key|401|unauthori[sz]ed/i,
    what: "This service asks for an API key, and none (or a wrong one) was given.",
    todo: "Enter your key under “API key” above and try again.",
  },
  {
    test: /download|fetch|HTTP|source|publisher|checksum|timed out|connection/i,
    what: "The publisher's files could not be read just now.",
    todo: "Try again later; the other datasets are not affected.",
  },
  {
    test: /limit|too large|over the/i,
    what: "The request is larger than this service allows.",
    todo: "Choose a smaller area or fewer datasets and try again.",
  },
  {
    test: /options? of|choose at least one|unknown (hazard|scenario|year|model|return period)/i,
    what: "Some of the dataset options cannot be used together.",
    todo: "Check the options you chose for this dataset.",
  },
];

const FALLBACK = {
  what: "Something went wrong while making it.",
  todo: "Try again; if it fails again, send the details below to the people who run this service.",
};

export function explain(technical) {
  const text = technical || "";
  const found = KNOWN.find((known) => known.test.test(text)) || FALLBACK;
  return { what: found.what, todo: found.todo };
}

// `lead` names what failed ("This dataset could not be made."); the explanation follows.
export function failureBlock(lead, technical) {
  const { what, todo } = explain(technical);
  const parts = [el("p", { class: "failure-what", text: `${lead} ${what}` }), el("p", { class: "failure-todo", text: todo })];
  if (technical) {
    parts.push(
      el("details", { class: "failure-details" }, el("summary", { text: "Details" }), el("p", { class: "technical", text: technical })),
    );
  }
  return el("div", { class: "failure" }, ...parts);
}
