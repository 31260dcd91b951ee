// Pre-order pages: rows that can be added and removed, product search, live line totals.
// Progressive enhancement only: every form posts and validates without this file.
(() => {
  "use strict";

  let listCounter = 0; // ids of the product suggestion lists

  // --- rows (Django formsets) --------------------------------------------------------------
  // <section data-formset="prefix"> holds the management form, <tbody data-formset-body>,
  // <template data-formset-empty> (the empty form, with __prefix__) and [data-formset-add].

  const firstField = (row) => row.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");

  function addRow(section) {
    const prefix = section.dataset.formset;
    const total = section.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = section.querySelector("template[data-formset-empty]");
    const body = section.querySelector("[data-formset-body]");
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html.trim());
    total.value = String(index + 1);
    const row = body.lastElementChild;
    setUpRow(row);
    const field = firstField(row);
    if (field) field.focus();
    return row;
  }

  function setUpRow(row) {
    row.querySelectorAll("[data-product-search]").forEach(setUpProductSearch);
    row.querySelectorAll("input[name$='-DELETE']").forEach((box) => {
      const sync = () => row.classList.toggle("is-removed", box.checked);
      box.addEventListener("change", sync);
      sync();
    });
  }

  document.querySelectorAll("[data-formset]").forEach((section) => {
    section.querySelectorAll("[data-formset-body] > tr").forEach(setUpRow);
    section.querySelectorAll("[data-formset-add]").forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        addRow(section);
      });
    });
    // Enter in a row's field goes to the next row (a new one after the last) instead of
    // submitting the whole form half-filled. Textareas keep Enter for new lines.
    section.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key !== "Enter" || event.defaultPrevented || target.tagName !== "INPUT") return;
      if (["checkbox", "submit", "button", "file"].includes(target.type)) return;
      const row = target.closest("[data-formset-body] > tr");
      if (!row) return;
      event.preventDefault();
      const next = row.nextElementSibling;
      const field = next ? firstField(next) : null;
      if (field) field.focus();
      else addRow(section);
    });
  });

  // --- suggestions ---------------------------------------------------------------------------
  // suggest(input, options) turns a text input into a combobox with a small list of
  // suggestions fetched from a JSON list API (the session authenticates): arrow keys move,
  // Enter picks, Escape closes, the mouse works too. Options:
  //   url(text) → the URL to GET (DRF list: {results: [...]}),
  //   label(item) → [strong text, muted text], exact(item, text) → true to pre-select,
  //   choose(item) → what picking does, onSearch() → called before each search,
  //   noMatch → the text shown when nothing matches.
  // Used by the product search below and the customer search of the order-entry page.

  function suggest(input, options) {
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.id = `suggestions-${++listCounter}`;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    let controller = null;
    let timer = null;
    let active = -1;
    let results = [];

    const close = () => {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    };

    const highlight = (index) => {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    };

    const choose = (item) => {
      close();
      options.choose(item);
    };

    const show = (items, text) => {
      results = items;
      list.replaceChildren();
      if (!items.length) {
        const empty = document.createElement("li");
        empty.className = "suggestion-empty";
        empty.textContent = options.noMatch || "—";
        list.append(empty);
      }
      items.forEach((item, i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.setAttribute("role", "option");
        const [main, detail] = options.label(item);
        const strong = document.createElement("strong");
        strong.textContent = main;
        const span = document.createElement("span");
        span.textContent = detail || "";
        option.append(strong, span);
        // mousedown, not click: it comes before the input loses focus and closes the list
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(item);
        });
        list.append(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      if (items.length === 1 && options.exact && options.exact(items[0], text)) highlight(0);
    };

    const search = () => {
      const text = input.value.trim();
      if (options.onSearch) options.onSearch();
      if (!text) { close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(options.url(text), { credentials: "same-origin", headers: { Accept: "application/json" },
        signal: controller.signal })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => {
          if (document.activeElement === input) show(data.results || [], text);
        })
        .catch(() => {});
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      const count = results.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === "Enter" && active >= 0) {
        // pick the highlighted item; the row's Enter handler sees defaultPrevented
        event.preventDefault();
        choose(results[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  window.OMS = Object.assign(window.OMS || {}, { suggest });

  // --- product search ------------------------------------------------------------------------
  // An input[data-product-search] inside a form with data-product-api gets product
  // suggestions from GET <api>?search=<text>. Choosing one puts the SKU in the input (the
  // server resolves it) and fires "product-chosen" with the product as its detail.

  function setUpProductSearch(input) {
    if (input.dataset.searchReady) return;
    input.dataset.searchReady = "1";
    const form = input.closest("[data-product-api]");
    if (!form) return;
    const api = form.dataset.productApi;
    const row = input.closest("tr");
    const nameLabel = row ? row.querySelector("[data-product-name]") : null;
    suggest(input, {
      url: (text) => `${api}?search=${encodeURIComponent(text)}&is_active=true&page_size=8&ordering=sku`,
      label: (product) => [product.sku, product.name],
      exact: (product, text) => product.sku.toLowerCase() === text.toLowerCase(),
      noMatch: form.dataset.textNoMatch,
      onSearch: () => { if (nameLabel) nameLabel.textContent = ""; },
      choose: (product) => {
        input.value = product.sku;
        if (nameLabel) nameLabel.textContent = product.name;
        input.dispatchEvent(new CustomEvent("product-chosen", { bubbles: true, detail: product }));
      },
    });
  }

  document.querySelectorAll("[data-product-search]").forEach(setUpProductSearch);

  // --- live totals of quotation lines ----------------------------------------------------------
  // Rows with [data-qty], [data-price], [data-discount] and a [data-line-total] cell; the sum
  // goes to [data-grand-total]. The server recomputes everything when the draft is saved.

  document.querySelectorAll("[data-live-totals]").forEach((table) => {
    const currency = table.dataset.currencySymbol || "";
    const lang = document.documentElement.lang || "en";
    const fmt = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const num = (input) => {
      const value = parseFloat(input && input.value);
      return Number.isFinite(value) ? value : 0;
    };
    // An empty price may stand for one the server fills in (order entry: the contract or list
    // price, shown as a hint): data-default-price / data-default-discount on the inputs.
    const price = (row) => {
      const input = row.querySelector("[data-price]");
      if (input && input.value === "" && input.dataset.defaultPrice) return parseFloat(input.dataset.defaultPrice);
      return num(input);
    };
    const discount = (row) => {
      const input = row.querySelector("[data-discount]");
      const priceInput = row.querySelector("[data-price]");
      if (!num(input) && priceInput && priceInput.value === "" && input && input.dataset.defaultDiscount) {
        return parseFloat(input.dataset.defaultDiscount);
      }
      return num(input);
    };
    const recompute = () => {
      let total = 0;
      table.querySelectorAll("[data-formset-body] > tr").forEach((row) => {
        const cell = row.querySelector("[data-line-total]");
        if (!cell) return;
        const line = num(row.querySelector("[data-qty]")) * price(row) * (1 - discount(row) / 100);
        const removed = row.classList.contains("is-removed");
        cell.textContent = currency + fmt.format(line);
        if (!removed) total += line;
      });
      const grand = table.querySelector("[data-grand-total]");
      if (grand) grand.textContent = currency + fmt.format(total);
    };
    table.addEventListener("input", recompute);
    table.addEventListener("change", recompute);
    table.addEventListener("product-chosen", (event) => {
      // a newly chosen product starts at its list price (unless an empty price has a
      // meaning of its own: tables with data-price-hints)
      const row = event.target.closest("tr");
      const input = row && row.querySelector("[data-price]");
      if (input && !input.value && event.detail.list_price !== undefined && !("priceHints" in table.dataset)) {
        input.value = event.detail.list_price;
      }
      recompute();
    });
    table.addEventListener("prices-changed", recompute);
    recompute();
  });
})();
