// The official Node library drives the sandbox, as a second client beside stripe-python.
// Run by tests/sandbox/test_node_client.py:
//   node drive.js SANDBOX_URL SECRET_KEY [API_VERSION]
// Without API_VERSION the library sends its own default (stripe 23.2: 2026-11-18.endive).
// Prints one JSON object of what each step saw; the Python test checks it.
'use strict';

const Stripe = require('stripe');

async function main() {
  const [url, key, apiVersion] = process.argv.slice(2);
  const address = new URL(url);
  const stripe = new Stripe(key, {
    host: address.hostname,
    port: Number(address.port),
    protocol: address.protocol.replace(':', ''),
    maxNetworkRetries: 0,
    telemetry: false,
    ...(apiVersion ? {apiVersion} : {}),
  });
  const seen = {library_version: Stripe.PACKAGE_VERSION, default_version: Stripe.API_VERSION};
  const card = {allowed_payment_method_types: ['card']};
  const tag = `node-${Date.now()}`; // one account per key; the tag keeps searches to this run

  // create, then confirm
  const created = await stripe.paymentIntents.create({amount: 1250, currency: 'sgd', ...card, metadata: {run: tag}});
  seen.answered_version = created.lastResponse.apiVersion;
  seen.created = {status: created.status, amount: created.amount};
  const paid = await stripe.paymentIntents.confirm(created.id, {payment_method: 'pm_card_visa', expand: ['latest_charge']});
  seen.confirmed = {
    status: paid.status,
    charge: paid.latest_charge.id,
    brand: paid.latest_charge.payment_method_details.card.brand,
    hooks_absent: !('hooks' in paid),
  };

  // a decline: the library's own error class and the issuer's code
  const declined = await stripe.paymentIntents.create({amount: 700, currency: 'sgd', ...card});
  try {
    await stripe.paymentIntents.confirm(declined.id, {payment_method: 'pm_card_chargeDeclinedInsufficientFunds'});
    seen.decline = 'not declined';
  } catch (err) {
    seen.decline = {class: err.constructor.name, code: err.code, decline_code: err.decline_code, status: err.statusCode};
  }

  // idempotent replay, then the same key with other parameters
  const ikey = `${tag}-create`;
  const first = await stripe.paymentIntents.create({amount: 900, currency: 'sgd', ...card}, {idempotencyKey: ikey});
  const again = await stripe.paymentIntents.create({amount: 900, currency: 'sgd', ...card}, {idempotencyKey: ikey});
  seen.replay = {same: first.id === again.id, replayed: again.lastResponse.headers['idempotent-replayed']};
  try {
    await stripe.paymentIntents.create({amount: 901, currency: 'sgd', ...card}, {idempotencyKey: ikey});
    seen.mismatch = 'accepted';
  } catch (err) {
    seen.mismatch = {class: err.constructor.name, type: err.type, status: err.statusCode};
  }

  // refund part of the paid one
  const refund = await stripe.refunds.create({payment_intent: paid.id, amount: 250});
  seen.refund = {status: refund.status, amount: refund.amount, description_absent: !('description' in refund)};

  // list and auto-pagination (pages of 2)
  for (let i = 0; i < 3; i++) {
    await stripe.paymentIntents.create({amount: 100 + i, currency: 'sgd', ...card, metadata: {run: tag}});
  }
  const page = await stripe.paymentIntents.list({limit: 2});
  const all = await stripe.paymentIntents.list({limit: 2}).autoPagingToArray({limit: 1000});
  seen.list = {page: page.data.length, has_more: page.has_more, all: all.length, distinct: new Set(all.map((p) => p.id)).size};

  // search, one page and all pages
  const query = `metadata['run']:'${tag}'`;
  const found = await stripe.paymentIntents.search({query, limit: 2});
  const everything = await stripe.paymentIntents.search({query, limit: 2}).autoPagingToArray({limit: 1000});
  seen.search = {object: found.object, url: found.url, page: found.data.length, all: everything.length};

  // a reader sale: process on a simulated reader, the customer taps
  const location = await stripe.terminal.locations.create({display_name: 'Node till', address: {country: 'SG'}});
  const reader = await stripe.terminal.readers.create({registration_code: 'simulated-wpe', location: location.id});
  const onReader = await stripe.paymentIntents.create({
    amount: 450,
    currency: 'sgd',
    allowed_payment_method_types: ['card_present'],
  });
  const busy = await stripe.terminal.readers.processPaymentIntent(reader.id, {payment_intent: onReader.id});
  seen.process = {
    type: busy.action.type,
    status: busy.action.status,
    siblings_absent: !('set_reader_display' in busy.action) && !('refund_payment' in busy.action),
  };
  const done = await stripe.testHelpers.terminal.readers.presentPaymentMethod(reader.id, {type: 'card_present'});
  const sold = await stripe.paymentIntents.retrieve(onReader.id, {expand: ['latest_charge']});
  const present = sold.latest_charge.payment_method_details.card_present;
  seen.present = {
    action: done.action.status,
    intent: sold.status,
    read_method: present.read_method,
    aid: present.receipt.dedicated_file_name,
    authorization_code: present.receipt.authorization_code,
  };
  process.stdout.write(JSON.stringify(seen));
}

main().catch((err) => {
  process.stderr.write(`${err.constructor.name}: ${err.message}\n`);
  process.exit(1);
});
