// The words of the parameters form (react-jsonschema-form: its buttons, yes/no, empty lists)
// from the console's catalogues; the few the console never shows stay in the library's
// English.
import { TranslatableString, englishStringTranslator } from "@rjsf/utils";

/** @typedef {import("./translate.js").MessageKey} MessageKey */
/** @typedef {import("./I18n.jsx").I18n} I18n */

/** @type {Partial<Record<TranslatableString, MessageKey>>} */
const KEYS = {
  [TranslatableString.ArrayItemTitle]: "form.item",
  [TranslatableString.EmptyArray]: "form.emptyArray",
  [TranslatableString.YesLabel]: "form.yes",
  [TranslatableString.NoLabel]: "form.no",
  [TranslatableString.CloseLabel]: "form.close",
  [TranslatableString.ErrorsLabel]: "form.errors",
  [TranslatableString.NewStringDefault]: "form.newValue",
  [TranslatableString.AddButton]: "form.add",
  [TranslatableString.AddItemButton]: "form.addItem",
  [TranslatableString.CopyButton]: "form.copy",
  [TranslatableString.MoveDownButton]: "form.moveDown",
  [TranslatableString.MoveUpButton]: "form.moveUp",
  [TranslatableString.RemoveButton]: "form.remove",
  [TranslatableString.ClearButton]: "form.clear",
  [TranslatableString.OptionalObjectAdd]: "form.optionalAdd",
  [TranslatableString.OptionalObjectRemove]: "form.optionalRemove",
  [TranslatableString.OptionalObjectEmptyMsg]: "form.optionalEmpty",
  [TranslatableString.KeyLabel]: "form.key",
  [TranslatableString.OptionPrefix]: "form.option",
  [TranslatableString.TitleOptionPrefix]: "form.titleOption",
};

/**
 * The form's `translateString`: its %1, %2 become the catalogue's {1}, {2}.
 * @param {I18n["t"]} t
 * @returns {(text: TranslatableString, params?: string[]) => string}
 */
export function formStrings(t) {
  return (text, params = []) => {
    const key = KEYS[text];
    if (!key) return englishStringTranslator(text, params);
    return t(key, Object.fromEntries(params.map((value, i) => [String(i + 1), value])));
  };
}
