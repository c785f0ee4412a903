fetch('https://api.openai.test/v1/models', {headers: {Authorization: 'Bearer ' + process.env.OPENAI_API_KEY}})
  .then(async r => console.log(r.status, await r.text()))
  .catch(e => console.log('ERR', (e.cause && e.cause.code) || String(e)));
