import { RouteTemplate } from '../../local/host/triggers/http/RouteTemplate';

describe('route templates (ASP.NET Core syntax, as Functions routes use it)', () => {
  test('literals match case-insensitively; parameters capture decoded segments', () => {
    const t = new RouteTemplate('api/devices/{deviceId}/twin');
    expect(t.match('/API/Devices/d%231/TWIN')).toEqual({ deviceId: 'd#1' });
    expect(t.match('/api/devices/d1/twin/')).toEqual({ deviceId: 'd1' });
    expect(t.match('/api/devices/d1')).toBeUndefined();
    expect(t.match('/api/devices/d1/twin/extra')).toBeUndefined();
    expect(t.match('/api/devices/%E0%A4%A/twin')).toBeUndefined();
  });

  test('a path that matches but for a parameter that is not valid percent-encoding names that parameter', () => {
    const t = new RouteTemplate('api/rollouts/{id}/devices/{deviceId?}');
    expect(t.match('/api/rollouts/%E0%A4%A/devices')).toBeUndefined();
    expect(t.undecodableParameter('/api/rollouts/%E0%A4%A/devices')).toEqual({ parameter: 'id', text: '%E0%A4%A' });
    expect(t.undecodableParameter('/api/rollouts/abc%zz/devices/d%')).toEqual({ parameter: 'id', text: 'abc%zz' });
    expect(t.undecodableParameter('/api/rollouts/abc/devices/d%zz')).toEqual({ parameter: 'deviceId', text: 'd%zz' });
    expect(t.undecodableParameter('/api/rollouts/a%20b/devices/d1')).toBeUndefined();
    // A literal segment that does not decode matches nothing: there is no parameter to name.
    expect(t.undecodableParameter('/api/rollout%zz/abc/devices')).toBeUndefined();
    expect(t.undecodableParameter('/api/rollouts/%zz/elsewhere')).toBeUndefined();
    expect(new RouteTemplate('files/{name}.{ext}').undecodableParameter('files/a%20b.%zz')).toEqual({ parameter: 'ext', text: '%zz' });
    expect(new RouteTemplate('blob/{*path}').undecodableParameter('blob/a/%E0%A4%A/c')).toEqual({
      parameter: 'path',
      text: 'a/%E0%A4%A/c',
    });
    // Constraints judge the text as written: `%zz` is no int, so this route does not match at all.
    expect(new RouteTemplate('items/{id:int}').undecodableParameter('items/%zz')).toBeUndefined();
  });

  test('optional parameters and defaults', () => {
    const optional = new RouteTemplate('items/{id:int}/{name?}');
    expect(optional.match('items/5')).toEqual({ id: '5' });
    expect(optional.match('items/5/x')).toEqual({ id: '5', name: 'x' });
    const defaulted = new RouteTemplate('report/{format=json}');
    expect(defaulted.match('report')).toEqual({ format: 'json' });
    expect(defaulted.match('report/csv')).toEqual({ format: 'csv' });
  });

  test.each([
    ['{v:int}', ['42', '-7'], ['4.2', 'x', '99999999999']],
    ['{v:long}', ['99999999999'], ['1e3']],
    ['{v:bool}', ['true', 'FALSE'], ['yes']],
    ['{v:guid}', ['0f8fad5b-d9cb-469f-a165-70867728950e'], ['0f8fad5b']],
    ['{v:alpha}', ['abcXYZ'], ['abc1']],
    ['{v:double}', ['1.5', '-2', '3e2'], ['1.5.2']],
    ['{v:datetime}', ['2024-01-02'], ['notadate']],
    ['{v:minlength(3)}', ['abc'], ['ab']],
    ['{v:maxlength(3)}', ['abc'], ['abcd']],
    ['{v:length(2,3)}', ['ab', 'abc'], ['a', 'abcd']],
    ['{v:min(10)}', ['10'], ['9']],
    ['{v:max(10)}', ['10'], ['11']],
    ['{v:range(1,3)}', ['1', '3'], ['0', '4']],
    ['{v:regex(^[a-f]{{2}}$)}', ['AB', 'cd'], ['abc', 'g1']],
    ['{v:alpha:minlength(2)}', ['ab'], ['a', 'a1']],
  ])('constraint %s', (segment, accepted, rejected) => {
    const t = new RouteTemplate(`x/${segment}`);
    for (const value of accepted) expect(t.match(`x/${value}`)).toEqual({ v: value });
    for (const value of rejected) expect(t.match(`x/${value}`)).toBeUndefined();
  });

  test('several parameters in one segment and catch-alls', () => {
    expect(new RouteTemplate('files/{name}.{ext}').match('files/report.final.pdf')).toEqual({ name: 'report', ext: 'final.pdf' });
    const catchAll = new RouteTemplate('blob/{container}/{*path}');
    expect(catchAll.match('blob/c/a/b/c.txt')).toEqual({ container: 'c', path: 'a/b/c.txt' });
    expect(catchAll.match('blob/c')).toEqual({ container: 'c' });
    expect(new RouteTemplate('{**all}').match('any/thing')).toEqual({ all: 'any/thing' });
  });

  test('precedence: literals before constrained parameters before parameters before catch-alls', () => {
    const ordered = ['items/latest', 'items/{id:int}', 'items/{name}', 'items/{*rest}'].map((t) => new RouteTemplate(t).precedence);
    expect([...ordered].sort()).toEqual(ordered);
  });

  test('bad templates are refused with a reason', () => {
    expect(() => new RouteTemplate('a/{*rest}/b')).toThrow(/catch-all/);
    expect(() => new RouteTemplate('a/{id:nonsense}')).toThrow(/unknown route constraint 'nonsense'/);
    expect(() => new RouteTemplate('a/{id')).toThrow(/unclosed/);
  });
});
