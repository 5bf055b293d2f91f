/* The donation form: Stripe.js card element, then the server creates and confirms the
 * PaymentIntent; 3-D Secure, when the bank asks for it, runs in confirmCardPayment.
 * Works with real Stripe.js and with localstripe's stand-in (createToken is the call
 * both support: see LOCALSTRIPE.md). SEPA needs no Stripe.js: the IBAN goes to our server. */
(function () {
  "use strict";
  // The page's words, in its language: data-* attributes of this script's tag (_campaign_block_inner.html).
  const script = document.currentScript || document.querySelector("script[data-donation-messages]");
  const form = document.querySelector("form[data-donation-form]");
  if (!form || !script || typeof Stripe === "undefined") { return; }
  const text = script.dataset;
  // Stripe.js's error codes -> our message: its own text is English whatever the page's language.
  const CARD_ERRORS = {
    incomplete_number: "cardNumber", invalid_number: "cardNumber", incorrect_number: "cardNumber",
    incomplete_expiry: "cardExpiry", invalid_expiry_month: "cardExpiry", invalid_expiry_year: "cardExpiry",
    invalid_expiry_month_past: "cardExpiry", invalid_expiry_year_past: "cardExpiry",
    incomplete_cvc: "cardCvc", invalid_cvc: "cardCvc", incorrect_cvc: "cardCvc",
    incomplete_zip: "cardPostalCode", incorrect_zip: "cardPostalCode",
    card_declined: "cardDeclined", expired_card: "cardExpired",
  };
  function cardErrorText(error) {
    const key = error && (CARD_ERRORS[error.code] || CARD_ERRORS[error.decline_code]);
    return (key && text[key]) || text.cardInvalid;
  }

  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount(form.querySelector("#card-element"));

  const $ = (selector) => form.querySelector(selector);
  const errorBox = $("[data-form-error]");
  const button = $("[data-donate-button]");

  function showError(message, fields) {
    form.querySelectorAll("[data-field-error]").forEach((el) => { el.textContent = ""; });
    Object.entries(fields || {}).forEach(([name, text]) => {
      const el = form.querySelector(`[data-field-error="${name}"]`);
      if (el) { el.textContent = text; }
    });
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
    if (message) { errorBox.scrollIntoView({block: "center"}); }
  }

  function syncVisibility() {
    const method = (form.querySelector("input[name=method]:checked") || {}).value;
    $("[data-card-fields]").hidden = method !== "card";
    $("[data-sepa-fields]").hidden = method !== "sepa_debit";
    const business = (form.querySelector("input[name=donor_type]:checked") || {}).value === "business";
    $("[data-business-fields]").hidden = !business;
    const parent = $("input[name=is_parent_of_pupil]").checked;
    const receipt = $("input[name=wants_tax_receipt]");
    // A parent of a pupil of the class gets no tax receipt (a counterpart, not a gift).
    receipt.disabled = parent;
    if (parent) { receipt.checked = false; }
    $("[data-address-fields]").hidden = !receipt.checked;
  }
  form.addEventListener("change", syncVisibility);
  syncVisibility();

  $("input[name=amount_other]").addEventListener("input", () => {
    const other = form.querySelector("input[name=amount_choice][value=other]");
    if (other) { other.checked = true; }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    showError("", {});
    try {
      const method = (form.querySelector("input[name=method]:checked") || {}).value;
      if (method === "card") {
        const result = await stripe.createToken(card);
        if (result.error || !result.token) {
          showError(text.cardCheck, {card: cardErrorText(result.error)});
          return;
        }
        $("input[name=card_payment_method]").value = result.token.card.id;
      }
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: {"Accept": "application/json"},
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        // The server's detail is already in the page's language (the request carries it).
        showError(body.detail || text.notSaved, body.fields);
        return;
      }
      if (body.requires_action && body.client_secret) {
        // 3-D Secure: the bank's check, then the return page applies the result.
        await stripe.confirmCardPayment(body.client_secret);
      }
      window.location.assign(body.return_url);
    } catch (err) {
      showError(text.notStarted, {});
    } finally {
      button.disabled = false;
    }
  });
})();
