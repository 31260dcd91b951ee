// The order list's customer filter: as one types a code or a name, the customers that match
// (from the customers API, eight at most) are suggested; picking one puts its code in the
// field. Uses OMS.suggest (preorder.js). Without it the field takes a code typed in full.
(() => {
  "use strict";

  document.querySelectorAll("[data-customer-api] input[name=customer]").forEach((input) => {
    const field = input.closest("[data-customer-api]");
    if (!window.OMS) return;
    const api = field.dataset.customerApi;
    window.OMS.suggest(input, {
      url: (text) => `${api}?search=${encodeURIComponent(text)}&page_size=8&ordering=code`,
      label: (customer) => [customer.code, customer.name],
      exact: (customer, text) => customer.code.toLowerCase() === text.toLowerCase(),
      noMatch: field.dataset.textNoMatch,
      choose: (customer) => {
        input.value = customer.code;
      },
    });
  });
})();
